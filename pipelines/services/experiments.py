"""Experiment workflows on the web side: start (form, API, "run again") from the step cache or
the ``runs`` queue, cancel, and reap runs whose worker died.

The web process validates and records everything that defines a run (dataset commit, image
digest, parameter values, limits) and either serves it from the step cache or queues it on the
``runs`` queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from modules.models import Kind, Module
from modules.repository import NotFound, RepositoryError, validate_path
from publishing import jobs
from publishing.models import Publication
from publishing.models import Status as PublicationStatus

from .. import parameters
from ..models import ACTIVE_STATUSES, Artifact, FailureKind, Metric, Run, Status
from ..models import cache_key as make_cache_key
from ..runners import INPUT_MOUNT, OUTPUT_MOUNT
from .common import RunError, RunLog

logger = logging.getLogger(__name__)


WHERE_KINDS_BELONG = {
    Kind.DATA_OPERATION: "Data Operations run as steps of a data pipeline on a dataset",
    Kind.DATA_VISUALIZATION: "Data Visualizations run as visualizations of a dataset",
    Kind.DATASET: "a dataset is the data an experiment reads, not the model it runs",
}


# -- starting ---------------------------------------------------------------------------------
@dataclass
class StartRequest:
    dataset: Module
    publication: Publication
    ref: str = ""
    input_paths: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    cpu_limit: float | None = None
    memory_limit_mb: int | None = None
    time_limit_seconds: int | None = None
    use_cache: bool = True


def default_limits() -> dict:
    """The platform's limits: a run may ask for less, never more."""
    return {
        "cpu": settings.RUN_CPU_LIMIT,
        "memory_mb": settings.RUN_MEMORY_LIMIT_MB,
        "seconds": settings.RUN_TIME_LIMIT_SECONDS,
    }


def check_runnable(publication: Publication) -> None:
    """Only published versions of Model modules run as experiments."""
    module = publication.module
    if module.kind != Kind.MODEL:
        label = Kind(module.kind).label if module.kind in Kind.values else module.kind
        where = WHERE_KINDS_BELONG.get(module.kind, "only Model modules run as experiments")
        raise RunError(
            f"{module.full_name} is a {label} module: only Model modules run as experiments; "
            f"{where}."
        )
    if publication.status != PublicationStatus.PUBLISHED or not publication.image_digest:
        raise RunError(
            f"Version {publication.version} of {module.full_name} is not published "
            f"({publication.status}); choose a published version."
        )


def image_by_digest(publication: Publication) -> str:
    """``registry/namespace/slug@sha256:…`` from the version's tag reference."""
    reference = publication.image_reference.split("@", 1)[0]
    name, _, tag = reference.rpartition(":")
    repository = name if name and "/" not in tag else reference
    return f"{repository}@{publication.image_digest}"


def _limit(name: str, requested, maximum, kind=float):
    if requested in (None, ""):
        return maximum
    try:
        value = kind(requested)
    except (TypeError, ValueError):
        raise RunError(f"{name} must be a number, not {requested!r}.") from None
    if value <= 0:
        raise RunError(f"{name} must be positive.")
    if value > maximum:
        raise RunError(f"{name} may be at most {maximum} (the platform's limit).")
    return value


def _input_paths(dataset: Module, sha: str, paths: list[str]) -> list[str]:
    files = dataset.repository.list_files(sha)
    chosen = []
    for raw in paths or []:
        if not str(raw).strip() or str(raw).strip() in (".", "/"):
            continue
        try:
            path = validate_path(str(raw).strip().strip("/"))
        except RepositoryError as error:
            raise RunError(f"Input path '{raw}': {error}") from None
        if path not in files and not any(f.startswith(path + "/") for f in files):
            raise RunError(
                f"Input path '{path}' does not exist in {dataset.full_name} at {sha[:10]}."
            )
        chosen.append(path)
    return sorted(set(chosen))


def dataset_input(dataset: Module, ref: str, paths: list[str]) -> tuple[str, str, list[str]]:
    """What a run reads: the ref (the default branch when none), the commit it names now and
    the chosen input paths, checked to exist there; RunError saying what does not fit."""
    if dataset.repository.is_empty():
        raise RunError(f"The dataset {dataset.full_name} has no commits yet: push data first.")
    ref = ref or dataset.default_branch
    try:
        commit = dataset.repository.resolve(ref)
    except NotFound:
        raise RunError(f"No branch, tag or commit '{ref}' in {dataset.full_name}.") from None
    return ref, commit, _input_paths(dataset, commit, paths)


def input_argument(paths: list[str]) -> str:
    """One chosen path is handed over as itself; several are gathered in one folder."""
    return f"{INPUT_MOUNT}/{paths[0]}" if len(paths) == 1 else INPUT_MOUNT


def start_run(user: User, request: StartRequest) -> Run:
    """Validate everything, then serve from the cache or queue the run (answered with 202)."""
    publication, dataset = request.publication, request.dataset
    check_runnable(publication)
    if not dataset.is_dataset:
        raise RunError(f"{dataset.full_name} is not a dataset; experiments run on datasets.")
    if not dataset.can_read(user) or not publication.module.can_read(user):
        raise RunError("You may not read that dataset or module.")
    ref, commit, paths = dataset_input(dataset, request.ref, request.input_paths)
    try:
        values = parameters.validate(publication.parameters, request.parameters)
    except parameters.ParameterError as error:
        raise RunError(str(error)) from None
    arguments = parameters.command(
        publication.parameters, values, input_argument(paths), OUTPUT_MOUNT
    )
    cpu = _limit("cpu_limit", request.cpu_limit, settings.RUN_CPU_LIMIT)
    memory = _limit("memory_limit_mb", request.memory_limit_mb, settings.RUN_MEMORY_LIMIT_MB, int)
    seconds = _limit(
        "time_limit_seconds", request.time_limit_seconds, settings.RUN_TIME_LIMIT_SECONDS, int
    )
    gpu = publication.base_environment.accelerator == "gpu"
    run = Run(
        module=publication.module,
        publication=publication,
        dataset=dataset,
        dataset_ref=ref,
        dataset_commit=commit,
        input_paths=paths,
        image=image_by_digest(publication),
        image_digest=publication.image_digest,
        parameters=values,
        command=arguments,
        cpu_limit=cpu,
        memory_limit_mb=memory,
        time_limit_seconds=seconds,
        queue=settings.RUN_GPU_QUEUE if gpu else settings.RUN_QUEUE,
        use_cache=request.use_cache,
        cache_key=make_cache_key(publication.image_digest, arguments, commit, paths),
        created_by=user,
    )
    with transaction.atomic():
        source = _cache_hit(run) if run.use_cache else None
        run.save()
        if source is not None:
            _serve_from_cache(run, source)
        else:
            RunLog.note(
                run,
                f"Queued {publication.module.full_name} v{publication.version} on "
                f"{dataset.full_name} at {commit[:10]} ({ref}) by {user.username}",
            )
            transaction.on_commit(lambda: _enqueue(run))
    return run


def run_again(user: User, run: Run, use_cache: bool = True) -> Run:
    """An identical run: the same image digest, parameters and dataset commit."""
    return start_run(
        user,
        StartRequest(
            dataset=run.dataset,
            publication=run.publication,
            ref=run.dataset_commit,
            input_paths=list(run.input_paths),
            parameters={
                name: value
                for name, value in run.parameters.items()
                if value is not None and _visible(run.publication, name)
            },
            cpu_limit=run.cpu_limit,
            memory_limit_mb=run.memory_limit_mb,
            time_limit_seconds=run.time_limit_seconds,
            use_cache=use_cache,
        ),
    )


def _visible(publication: Publication, name: str) -> bool:
    return any(p["name"] == name for p in parameters.visible_parameters(publication.parameters))


def _cache_hit(run: Run) -> Run | None:
    return (
        Run.objects.filter(cache_key=run.cache_key, status=Status.SUCCEEDED).order_by("-pk").first()
    )


def _serve_from_cache(run: Run, source: Run) -> None:
    """The same image, arguments and input content already ran: reuse its outputs."""
    origin = source.cached_from or source
    now = timezone.now()
    Metric.objects.bulk_create(
        Metric(run=run, key=m.key, step=m.step, value=m.value, time=m.time)
        for m in origin.metrics.all()
    )
    Artifact.objects.bulk_create(
        Artifact(run=run, path=a.path, size=a.size, digest=a.digest) for a in origin.artifacts.all()
    )
    Run.objects.filter(pk=run.pk).update(
        status=Status.SUCCEEDED,
        cached_from=origin,
        exit_code=origin.exit_code,
        started_at=now,
        finished_at=now,
    )
    run.refresh_from_db()
    RunLog.note(
        run,
        f"Served from the step cache: run {origin.pk} ran the same image digest, parameters and "
        "dataset content; its outputs and metrics are reused and no container was started.",
    )


def _enqueue(run: Run) -> None:
    # By name: the task module imports this one, never the other way round.
    from mlreef.celery import app

    result = app.send_task("pipelines.tasks.execute_run_task", args=[run.pk], queue=run.queue)
    Run.objects.filter(pk=run.pk).update(task_id=result.id or "")


# -- cancelling and reaping -------------------------------------------------------------------
def cancel_run(run: Run) -> Run:
    """Queued runs end at once; running ones are killed by their worker within half a second."""
    jobs.cancel(run, RunLog, "Cancelled before it started.")
    return run


def reap_stale_runs(runs=None) -> int:
    """Fail runs whose worker stopped sending heartbeats, instead of 'running' forever."""
    timeout = timedelta(seconds=settings.RUN_HEARTBEAT_TIMEOUT)
    candidates = Run.objects.all() if runs is None else runs
    reaped = 0
    for run in candidates.filter(status__in=ACTIVE_STATUSES):
        if not run.is_stale(timeout):
            continue
        reason = (
            f"No sign of life from the run worker for {int(timeout.total_seconds())} s: the "
            "worker stopped or was restarted."
        )
        if jobs.fail_unless_moved(run, RunLog, reason, FailureKind.PLATFORM):
            reaped += 1
    return reaped
