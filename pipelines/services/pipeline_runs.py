"""Executing a data pipeline or visualization (the Celery task's body, on a run worker).

Steps run one after the other in one task, so step n's output folder is step n+1's input
without a round trip. Before each step its cache key is completed from the previous step's
output digests; a hit is served without a container. A step served from the cache whose output
a later step needs is downloaded from the hub over HTTP (no disk shared with the hub). When the
last step succeeds, the worker asks the hub (which holds the repository) to commit the output.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone

from accounts.internal import issue_internal_token

from ..models import FailureKind, PipelineRun, Run, Status
from .common import RunLog, RunPlatformError
from .data_pipelines import advance_through_cache, fail_pipeline
from .runs import claim_run, output_folder, run_claimed

logger = logging.getLogger(__name__)


def execute_pipeline(pipeline_run_id: int) -> None:
    if not PipelineRun.objects.filter(
        pk=pipeline_run_id, status=Status.QUEUED, cancel_requested=False
    ).update(status=Status.RUNNING, started_at=timezone.now()):
        return  # cancelled while queued, or a redelivered message for a run already taken
    pipeline_run = PipelineRun.objects.select_related("dataset__owner", "created_by").get(
        pk=pipeline_run_id
    )
    workdir = Path(tempfile.mkdtemp(prefix="mlreef-pipeline-", dir=settings.RUN_WORK_DIR or None))
    try:
        _run_steps(pipeline_run, workdir)
    except Exception as error:  # noqa: BLE001 - never leave a pipeline running
        logger.exception("pipeline run %s crashed", pipeline_run_id)
        fail_pipeline(pipeline_run, f"Internal error: {error}", FailureKind.PLATFORM)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_steps(pipeline_run: PipelineRun, workdir: Path) -> None:
    previous_output: Path | None = None  # the local output of the step before, if it ran here
    previous: Run | None = None
    for step in pipeline_run.steps.select_related("module__owner", "publication").order_by("step"):
        pipeline_run.refresh_from_db()
        if pipeline_run.is_final or pipeline_run.cancel_requested:
            return
        if step.status == Status.QUEUED and advance_through_cache(pipeline_run):
            step.refresh_from_db()
        step.refresh_from_db()
        if step.status == Status.SUCCEEDED:  # served from the cache
            previous, previous_output = step, None
            continue
        folder = workdir / f"step-{step.step}"
        folder.mkdir()
        input_dir = None
        if previous is not None:
            input_dir = previous_output or _download_outputs(previous, folder / "input")
        if not claim_run(step.pk):
            return fail_pipeline(pipeline_run, f"Step {step.step} was cancelled.", "", step.step)
        outcome = run_claimed(step, folder, input_dir=input_dir)
        if outcome != Status.SUCCEEDED:
            step.refresh_from_db()
            reason = (
                f"Step {step.step} ({step.module.full_name} v{step.publication.version}) "
                f"{outcome}: {step.failure_reason or outcome}"
            )
            kind = "" if outcome == Status.CANCELLED else step.failure_kind or FailureKind.USER
            fail_pipeline(pipeline_run, reason, kind, step.step)
            return
        previous, previous_output = step, output_folder(folder)
        step.refresh_from_db()
    _ask_hub_to_finish(pipeline_run)


def _download_outputs(run: Run, target: Path) -> Path:
    """A cached step's outputs, fetched from the hub's artifact API with a read credential."""
    import requests

    token = issue_internal_token(run.created_by, [run.resource], ("read",), ttl_seconds=3600)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    target.mkdir(parents=True)
    for artifact in run.artifacts.all():
        destination = target / artifact.path
        destination.parent.mkdir(parents=True, exist_ok=True)
        url = f"{settings.HUB_URL}/api/v1/runs/{run.pk}/artifacts/{quote(artifact.path)}"
        try:
            with session.get(url, stream=True, timeout=600) as response:
                if response.status_code != 200:
                    raise RunPlatformError(
                        f"Fetching {artifact.path} of step {run.step} failed "
                        f"({response.status_code}): {response.text[:300]}"
                    )
                with destination.open("wb") as out:
                    for chunk in response.iter_content(1024 * 1024):
                        out.write(chunk)
        except requests.RequestException as error:
            raise RunPlatformError(f"Fetching {artifact.path} failed: {error}") from None
    return target


def _ask_hub_to_finish(pipeline_run: PipelineRun) -> None:
    """The hub commits the output (it holds the repository and the artifact store)."""
    import requests

    token = issue_internal_token(
        pipeline_run.created_by, [pipeline_run.resource], ("write",), ttl_seconds=900
    )
    url = f"{settings.HUB_URL}/api/v1/pipeline-runs/{pipeline_run.pk}/finish/"
    last_error = ""
    for attempt in range(1, 4):
        try:
            response = requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=600)
        except requests.RequestException as error:
            last_error = str(error)
            time.sleep(attempt)
            continue
        if response.status_code < 300:
            return
        last_error = f"{response.status_code}: {response.text[:300]}"
        if response.status_code < 500:
            break
        time.sleep(attempt)
    reason = f"The hub did not commit the output ({last_error})."
    last = pipeline_run.steps.order_by("-step").first()
    if last is not None:
        RunLog.note(last, reason)
    fail_pipeline(pipeline_run, reason, FailureKind.PLATFORM)
