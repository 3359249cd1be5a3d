"""Data pipelines and visualizations on the web side: validate and start, walk the step cache,
commit the last step's output to a new branch of the dataset, cancel.

A data pipeline is ordered steps of published Data Operation versions: step 1 reads the chosen
input paths of the dataset commit, step n+1 reads step n's output. Every step is a ``Run``
(same log, artifacts, limits and step cache as experiments). A step's cache key is its image
digest, arguments and the content of its input: the dataset commit for step 1, the digests of
the previous step's outputs after it. So an unchanged pipeline is served from the cache here,
in the request, without a container; a changed parameter of step 2 re-runs step 2 onwards.

A visualization is the same with one Data Visualization step whose outputs are shown, not
committed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from modules.models import Kind, Module
from modules.repository import RepositoryError
from publishing.models import Publication
from publishing.models import Status as PublicationStatus

from .. import parameters
from ..models import (
    ACTIVE_STATUSES,
    FailureKind,
    PipelineKind,
    PipelineRun,
    Run,
    Status,
)
from ..models import cache_key as make_cache_key
from ..runners import INPUT_MOUNT, OUTPUT_MOUNT
from .common import RunError, RunLog, artifact_store
from .experiments import (
    _cache_hit,
    _serve_from_cache,
    dataset_input,
    image_by_digest,
    input_argument,
)

logger = logging.getLogger(__name__)

BRANCH_PREFIX = "data-pipeline"
MAX_STEPS = 20

REFUSED_KINDS = {
    PipelineKind.DATA_PIPELINE: {
        Kind.MODEL: "models run in experiments, not in data pipelines",
        Kind.DATA_VISUALIZATION: "visualizations run as visualizations of a dataset, not as "
        "data pipeline steps",
        Kind.DATASET: "a dataset is what a pipeline reads, not a step",
    },
    PipelineKind.VISUALIZATION: {
        Kind.MODEL: "models run in experiments, not as visualizations",
        Kind.DATA_OPERATION: "Data Operations run as steps of a data pipeline, not as "
        "visualizations",
        Kind.DATASET: "a dataset is what a visualization reads",
    },
}
ALLOWED_KIND = {
    PipelineKind.DATA_PIPELINE: Kind.DATA_OPERATION,
    PipelineKind.VISUALIZATION: Kind.DATA_VISUALIZATION,
}


@dataclass
class StepRequest:
    module: str  # namespace/slug
    version: int | None = None  # None: the latest published version
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class PipelineRequest:
    dataset: Module
    steps: list[StepRequest]
    name: str = ""
    ref: str = ""
    input_paths: list[str] = field(default_factory=list)
    kind: str = PipelineKind.DATA_PIPELINE
    use_cache: bool = True
    saved: bool = False
    definition_commit: str = ""


@dataclass
class ResolvedStep:
    publication: Publication
    values: dict[str, Any]


def resolve_step(user: User, kind: str, number: int, step: StepRequest) -> ResolvedStep:
    """One step's module, version and parameter values, each refusal naming the step."""
    where = f"Step {number}"
    namespace, _, slug = str(step.module or "").strip("/").partition("/")
    module = (
        Module.objects.select_related("owner")
        .filter(owner__username=namespace.lower(), slug=slug.lower())
        .first()
    )
    if module is None or not module.can_read(user):
        raise RunError(f"{where}: no module '{step.module}' that you may read.")
    allowed = ALLOWED_KIND[kind]
    if module.kind != allowed:
        label = Kind(module.kind).label if module.kind in Kind.values else module.kind
        reason = REFUSED_KINDS[kind].get(module.kind, f"only {allowed.label} modules run here")
        raise RunError(f"{where}: {module.full_name} is a {label} module: {reason}.")
    versions = Publication.objects.filter(module=module)
    if step.version in (None, ""):
        publication = (
            versions.filter(status=PublicationStatus.PUBLISHED).order_by("-version").first()
        )
        if publication is None:
            raise RunError(f"{where}: {module.full_name} has no published version.")
    else:
        try:
            version = int(step.version)
        except (TypeError, ValueError):
            raise RunError(f"{where}: version must be a number, not {step.version!r}.") from None
        publication = versions.filter(version=version).first()
        if publication is None:
            raise RunError(f"{where}: {module.full_name} has no version {version}.")
    if publication.status != PublicationStatus.PUBLISHED or not publication.image_digest:
        raise RunError(
            f"{where}: version {publication.version} of {module.full_name} is not published "
            f"({publication.status}); choose a published version."
        )
    try:
        values = parameters.validate(publication.parameters, step.parameters or {})
    except parameters.ParameterError as error:
        raise RunError(f"{where} ({module.full_name}): {error}") from None
    return ResolvedStep(publication, values)


def _next_number(dataset: Module, kind: str, slug: str) -> int:
    last = PipelineRun.objects.filter(dataset=dataset, kind=kind, slug=slug).aggregate(
        n=Max("number")
    )["n"]
    return (last or 0) + 1


def start_pipeline(user: User, request: PipelineRequest) -> PipelineRun:
    """Validate everything (each refusal a RunError, HTTP 400), record the run and its steps,
    serve what the cache holds, then commit (all cached) or queue the rest on a run worker."""
    dataset, kind = request.dataset, request.kind
    if kind not in ALLOWED_KIND:
        raise RunError(f"Unknown kind '{kind}'.")
    if user is None or not user.is_authenticated:
        raise RunError("Sign in to run a pipeline.")
    if not dataset.is_dataset:
        raise RunError(f"{dataset.full_name} is not a dataset; pipelines run on datasets.")
    if not dataset.can_read(user):
        raise RunError("You may not read that dataset.")
    if kind == PipelineKind.DATA_PIPELINE and not dataset.can_write(user):
        raise RunError(
            f"You need write access to {dataset.full_name}: a data pipeline commits its output "
            "to a new branch of it."
        )
    if not request.steps:
        raise RunError("Add at least one step.")
    if kind == PipelineKind.VISUALIZATION and len(request.steps) != 1:
        raise RunError("A visualization runs exactly one Data Visualization module.")
    if len(request.steps) > MAX_STEPS:
        raise RunError(f"A pipeline has at most {MAX_STEPS} steps.")
    ref, commit, paths = dataset_input(dataset, request.ref, request.input_paths)
    resolved = [
        resolve_step(user, kind, number, step) for number, step in enumerate(request.steps, 1)
    ]
    name = (request.name or "").strip() or (
        "pipeline" if kind == PipelineKind.DATA_PIPELINE else resolved[0].publication.module.slug
    )
    slug = slugify(name)[:80] or "pipeline"
    with transaction.atomic():
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    pipeline_run = PipelineRun.objects.create(
                        kind=kind,
                        dataset=dataset,
                        name=name[:100],
                        slug=slug,
                        number=_next_number(dataset, kind, slug),
                        saved=request.saved,
                        definition_commit=request.definition_commit,
                        dataset_ref=ref,
                        dataset_commit=commit,
                        input_paths=paths,
                        created_by=user,
                    )
                break
            except IntegrityError:  # two runs took the same number at once
                continue
        else:
            raise RunError("Too many runs of this pipeline at once; try again.")
        for number, step in enumerate(resolved, 1):
            Run.objects.create(**_step_fields(pipeline_run, number, step, request.use_cache, user))
        _append_steps(pipeline_run, f"Started by {user.username} on {ref} ({commit[:10]}).")
        if advance_through_cache(pipeline_run):
            finish_if_complete(pipeline_run)
        else:
            transaction.on_commit(lambda: _enqueue(pipeline_run))
    pipeline_run.refresh_from_db()
    return pipeline_run


def _step_fields(
    pipeline_run: PipelineRun, number: int, step: ResolvedStep, use_cache: bool, user: User
) -> dict:
    publication = step.publication
    first = number == 1
    input_path = input_argument(pipeline_run.input_paths) if first else INPUT_MOUNT
    arguments = parameters.command(publication.parameters, step.values, input_path, OUTPUT_MOUNT)
    gpu = publication.base_environment.accelerator == "gpu"
    return {
        "kind": Kind.DATA_OPERATION
        if pipeline_run.kind == PipelineKind.DATA_PIPELINE
        else PipelineKind.VISUALIZATION,
        "pipeline_run": pipeline_run,
        "step": number,
        "module": publication.module,
        "publication": publication,
        "dataset": pipeline_run.dataset,
        "dataset_ref": pipeline_run.dataset_ref,
        "dataset_commit": pipeline_run.dataset_commit,
        "input_paths": pipeline_run.input_paths if first else [],
        "image": image_by_digest(publication),
        "image_digest": publication.image_digest,
        "parameters": step.values,
        "command": arguments,
        "cpu_limit": settings.RUN_CPU_LIMIT,
        "memory_limit_mb": settings.RUN_MEMORY_LIMIT_MB,
        "time_limit_seconds": settings.RUN_TIME_LIMIT_SECONDS,
        "queue": settings.RUN_GPU_QUEUE if gpu else settings.RUN_QUEUE,
        "use_cache": use_cache,
        # Step 1 reads the dataset commit; later steps' keys need their input's content.
        "cache_key": make_cache_key(
            publication.image_digest, arguments,
            inputs_digest(pipeline_run.dataset, pipeline_run.dataset_commit,
                          pipeline_run.input_paths),
            pipeline_run.input_paths,
        ) if first else "",
        "created_by": user,
    }  # fmt: skip


METADATA_DIR = ".mlreef/"  # saved pipelines: not data, so not part of an input's content


def inputs_digest(dataset: Module, commit: str, paths: list[str]) -> str:
    """The content step 1 reads: the blob SHAs of the chosen files, not the commit, so saving
    a pipeline definition (a new commit) or changing other files keeps the cache valid."""
    chosen = {
        path: sha
        for path, sha in dataset.repository.file_shas(commit).items()
        if (any(path == p or path.startswith(p + "/") for p in paths))
        or (not paths and not path.startswith(METADATA_DIR))
    }
    material = json.dumps(sorted(chosen.items()))
    return "inputs:" + hashlib.sha256(material.encode()).hexdigest()


def outputs_digest(run: Run) -> str:
    """The content of a step's output (paths and digests), which the next step reads."""
    manifest = sorted(run.artifacts.values_list("path", "digest"))
    return "outputs:" + hashlib.sha256(json.dumps(manifest).encode()).hexdigest()


def step_cache_key(step: Run, previous: Run) -> str:
    return make_cache_key(step.image_digest, step.command, outputs_digest(previous), [])


def advance_through_cache(pipeline_run: PipelineRun) -> bool:
    """Serve leading steps from the cache while their inputs are known and a run with the same
    key succeeded; fill in the key of the first step left. True when every step is served."""
    previous: Run | None = None
    for step in pipeline_run.steps.order_by("step"):
        if step.status == Status.SUCCEEDED:
            previous = step
            continue
        if step.status != Status.QUEUED:
            return False
        if not step.cache_key and previous is not None:
            step.cache_key = step_cache_key(step, previous)
            Run.objects.filter(pk=step.pk).update(cache_key=step.cache_key)
        source = _cache_hit(step) if step.use_cache and step.cache_key else None
        if source is None:
            return False
        _serve_from_cache(step, source)
        previous = step
    return True


def _enqueue(pipeline_run: PipelineRun) -> None:
    from mlreef.celery import app  # by name: the task module imports this one

    first = pipeline_run.steps.order_by("step").first()
    queue = first.queue if first else settings.RUN_QUEUE
    result = app.send_task(
        "pipelines.tasks.execute_pipeline_task", args=[pipeline_run.pk], queue=queue
    )
    PipelineRun.objects.filter(pk=pipeline_run.pk).update(task_id=result.id or "")


def _append_steps(pipeline_run: PipelineRun, text: str) -> None:
    for step in pipeline_run.steps.all():
        RunLog.note(step, text)


# -- finishing (web side: the hub holds the repository and the artifact store) -----------------
def branch_name(pipeline_run: PipelineRun) -> str:
    return f"{BRANCH_PREFIX}/{pipeline_run.slug}-{pipeline_run.number}"


def commit_message(pipeline_run: PipelineRun) -> str:
    lines = [
        f"Data pipeline {pipeline_run.name} #{pipeline_run.number}",
        "",
        f"Pipeline: {pipeline_run.name} ({pipeline_run.slug}), run {pipeline_run.number}",
        f"Input: {pipeline_run.dataset.full_name} at {pipeline_run.dataset_commit} "
        f"({pipeline_run.dataset_ref}), paths: {', '.join(pipeline_run.input_paths) or '/'}",
    ]
    for step in pipeline_run.steps.select_related("module__owner", "publication").order_by("step"):
        values = {k: v for k, v in step.parameters.items() if v is not None}
        lines.append(
            f"Step {step.step}: {step.module.full_name} v{step.publication.version} "
            f"image {step.image_digest} parameters {json.dumps(values, sort_keys=True)}"
        )
    return "\n".join(lines) + "\n"


def finish_if_complete(pipeline_run: PipelineRun) -> PipelineRun:
    """Every step succeeded: commit the last output (data pipeline) and mark it succeeded.

    Idempotent: a retried call after a success changes nothing."""
    pipeline_run.refresh_from_db()
    if pipeline_run.is_final:
        return pipeline_run
    steps = list(pipeline_run.steps.order_by("step"))
    if not steps or any(step.status != Status.SUCCEEDED for step in steps):
        raise RunError("Not every step has succeeded; nothing to commit.")
    fields: dict[str, Any] = {}
    if pipeline_run.kind == PipelineKind.DATA_PIPELINE:
        try:
            fields = _commit_output(pipeline_run, steps[-1])
        except RepositoryError as error:
            return fail_pipeline(
                pipeline_run, f"Committing the output failed: {error}", FailureKind.USER
            )
    now = timezone.now()
    PipelineRun.objects.filter(pk=pipeline_run.pk, status__in=ACTIVE_STATUSES).update(
        status=Status.SUCCEEDED,
        started_at=pipeline_run.started_at or now,
        finished_at=now,
        **fields,
    )
    pipeline_run.refresh_from_db()
    return pipeline_run


def _commit_output(pipeline_run: PipelineRun, last: Run) -> dict[str, str]:
    """The last step's outputs on a new branch made at the input commit, authored by the user
    who ran it; files above LFS_UPLOAD_THRESHOLD go to Git LFS as browser uploads do."""
    from modules.services import commit_uploads

    dataset, user = pipeline_run.dataset, pipeline_run.created_by
    if user is None:
        raise RepositoryError("The user who ran this pipeline no longer exists.")
    branch = branch_name(pipeline_run)
    store = artifact_store()
    artifacts = list(last.artifacts.all())
    if not artifacts:
        raise RepositoryError(f"Step {last.step} wrote no output files; nothing to commit.")
    dataset.repository.create_branch(branch, pipeline_run.dataset_commit)
    handles = {}
    try:
        for artifact in artifacts:
            handle = File(store.open(artifact.digest))
            handle.size = artifact.size
            handles[artifact.path] = handle
        result = commit_uploads(dataset, user, branch, handles, commit_message(pipeline_run))
    except RepositoryError:
        dataset.repository.delete_branch(branch)
        raise
    finally:
        for handle in handles.values():
            handle.close()
    return {"branch": branch, "result_commit": result.sha}


def fail_pipeline(
    pipeline_run: PipelineRun, reason: str, kind: str = FailureKind.USER, step: int | None = None
) -> PipelineRun:
    """Stop the pipeline: steps not started are cancelled; partial outputs stay as artifacts
    of the steps that ran and are never committed."""
    now = timezone.now()
    for later in pipeline_run.steps.filter(status=Status.QUEUED):
        if Run.objects.filter(pk=later.pk, status=Status.QUEUED).update(
            status=Status.CANCELLED, finished_at=now
        ):
            RunLog.note(later, f"Not run: {reason}")
    PipelineRun.objects.filter(pk=pipeline_run.pk, status__in=ACTIVE_STATUSES).update(
        status=Status.CANCELLED if kind == "" else Status.FAILED,
        failure_reason=reason,
        failure_kind=kind,
        failed_step=step,
        finished_at=now,
    )
    pipeline_run.refresh_from_db()
    return pipeline_run


def cancel_pipeline(pipeline_run: PipelineRun) -> PipelineRun:
    """Queued steps end at once; the running one is stopped by its worker."""
    from .experiments import cancel_run

    if pipeline_run.is_final:
        return pipeline_run
    PipelineRun.objects.filter(pk=pipeline_run.pk).update(cancel_requested=True)
    for step in pipeline_run.steps.filter(status__in=ACTIVE_STATUSES):
        cancel_run(step)
    PipelineRun.objects.filter(pk=pipeline_run.pk, status__in=ACTIVE_STATUSES).update(
        status=Status.CANCELLED, failure_reason="Cancelled by a user.", finished_at=timezone.now()
    )
    pipeline_run.refresh_from_db()
    return pipeline_run


def reap_stale_pipelines(pipeline_runs=None) -> int:
    """Fail pipeline runs whose worker died: the reaper failed their running step (no
    heartbeat), so nothing would ever move them on."""
    from .experiments import reap_stale_runs

    candidates = PipelineRun.objects.all() if pipeline_runs is None else pipeline_runs
    reaped = 0
    for pipeline_run in candidates.filter(status__in=ACTIVE_STATUSES):
        reap_stale_runs(pipeline_run.steps.all())
        steps = list(pipeline_run.steps.order_by("step"))
        if any(step.is_active and step.status != Status.QUEUED for step in steps):
            continue
        broken = next((s for s in steps if s.status in (Status.FAILED, Status.CANCELLED)), None)
        if broken is None:
            continue
        fail_pipeline(
            pipeline_run,
            f"Step {broken.step} {broken.status}: {broken.failure_reason or broken.status}",
            broken.failure_kind or FailureKind.PLATFORM,
            broken.step,
        )
        reaped += 1
    return reaped
