"""Experiment workflows: start (form, API, "run again"), execute (the Celery task's body),
cancel, reap, and the artifact store both sides reach.

The web process validates and records everything that defines a run (dataset commit, image
digest, parameter values, limits) and either serves it from the step cache or queues it on the
``runs`` queue. A run worker needs no disk shared with the web server: it fetches the dataset
over the hub's git (+ LFS) HTTP with a short-lived internal credential, runs the image through
the runner, streams output to the run's log, records metrics as they appear, and uploads the
output directory back over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.internal import issue_internal_token
from accounts.models import User
from modules.blobstore import BlobStore
from modules.models import Kind, Module
from modules.repository import NotFound, RepositoryError, validate_path
from publishing.logs import Cancelled, LiveLog
from publishing.models import Publication
from publishing.models import Status as PublicationStatus

from . import metrics, parameters
from .models import ACTIVE_STATUSES, Artifact, FailureKind, Metric, Run, RunLogLine, Status
from .models import cache_key as make_cache_key
from .runners import INPUT_MOUNT, OUTPUT_MOUNT, ContainerSpec, ExitStatus, RunnerError, get_runner

logger = logging.getLogger(__name__)

WHERE_KINDS_BELONG = {
    Kind.DATA_OPERATION: "Data Operations run as steps of a data pipeline on a dataset",
    Kind.DATA_VISUALIZATION: "Data Visualizations run as visualizations of a dataset",
    Kind.DATASET: "a dataset is the data an experiment reads, not the model it runs",
}


class RunError(Exception):
    """A run cannot be started with these choices; the message says why (HTTP 400)."""


class RunUserError(Exception):
    """The script or its inputs failed the run (exit code, limits, outputs too large)."""


class RunPlatformError(Exception):
    """The platform failed the run (hub, engine or registry unreachable)."""


class RunLog(LiveLog):
    line_model = RunLogLine
    owner_field = "run"
    what = "output"
    check_interval = 0.5  # cancel must stop a running container promptly

    def size_limit(self) -> int:
        return settings.RUN_LOG_LIMIT


def artifact_store() -> BlobStore:
    return BlobStore(settings.ARTIFACTS_DIR)


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
    if dataset.repository.is_empty():
        raise RunError(f"The dataset {dataset.full_name} has no commits yet: push data first.")
    ref = request.ref or dataset.default_branch
    try:
        commit = dataset.repository.resolve(ref)
    except NotFound:
        raise RunError(f"No branch, tag or commit '{ref}' in {dataset.full_name}.") from None
    paths = _input_paths(dataset, commit, request.input_paths)
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
            _append(
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
    _append(
        run,
        f"Served from the step cache: run {origin.pk} ran the same image digest, parameters and "
        "dataset content; its outputs and metrics are reused and no container was started.",
    )


def _enqueue(run: Run) -> None:
    # By name: the task module imports this one, never the other way round.
    from mlreef.celery import app

    result = app.send_task("pipelines.tasks.execute_run_task", args=[run.pk], queue=run.queue)
    Run.objects.filter(pk=run.pk).update(task_id=result.id or "")


def _append(run: Run, text: str) -> None:
    RunLog(run, check_cancel=False).write(text, important=True)


# -- cancelling and reaping -------------------------------------------------------------------
def cancel_run(run: Run) -> Run:
    """Queued runs end at once; running ones are killed by their worker within half a second."""
    if run.is_final:
        return run
    Run.objects.filter(pk=run.pk).update(cancel_requested=True)
    if Run.objects.filter(pk=run.pk, status=Status.QUEUED).update(
        status=Status.CANCELLED, finished_at=timezone.now()
    ):
        _append(run, "Cancelled before it started.")
    run.refresh_from_db()
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
        if Run.objects.filter(pk=run.pk, status=run.status).update(
            status=Status.FAILED,
            failure_kind=FailureKind.PLATFORM,
            failure_reason=reason,
            finished_at=timezone.now(),
        ):
            _append(run, reason)
            reaped += 1
    return reaped


# -- artifacts (web side) ---------------------------------------------------------------------
class ArtifactRefused(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def store_artifact(run: Run, path: str, stream, size: int | None, digest: str | None) -> Artifact:
    """Stream one uploaded output file into the artifact store (worker -> hub over HTTP)."""
    if run.status != Status.COLLECTING:
        raise ArtifactRefused(f"Run {run.pk} is {run.status}, not collecting outputs.", 409)
    try:
        clean = validate_path(path)
    except RepositoryError as error:
        raise ArtifactRefused(f"Artifact path: {error}") from None
    used = sum(run.artifacts.exclude(path=clean).values_list("size", flat=True))
    room = settings.RUN_ARTIFACT_LIMIT - used
    from modules.blobstore import BlobError

    try:
        blob = artifact_store().ingest(stream, digest or None, size, max_size=max(room, 0))
    except BlobError as error:
        raise ArtifactRefused(f"{clean}: {error}", 413 if "larger" in str(error) else 400) from None
    except ValueError as error:
        raise ArtifactRefused(str(error)) from None
    artifact, _ = Artifact.objects.update_or_create(
        run=run, path=clean, defaults={"size": blob.size, "digest": blob.digest}
    )
    return artifact


# -- executing (the Celery task's body, on a run worker) -------------------------------------
@dataclass
class RunJob:
    """Per-run state, kept off the task object (Celery reuses task instances)."""

    run: Run
    log: RunLog
    workdir: Path
    recorder: metrics.MetricRecorder
    warned: set = field(default_factory=set)


def execute_run(run_id: int) -> None:
    run = Run.objects.select_related("dataset__owner", "module__owner", "publication").get(
        pk=run_id
    )
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=Status.QUEUED, started_at__isnull=True).update(
        status=Status.PREPARING, started_at=now, heartbeat_at=now, worker=socket.gethostname()
    )
    if not claimed:
        return  # cancelled while queued, or a redelivered message for a run already taken
    run.refresh_from_db()
    log = RunLog(run, secrets=[settings.REGISTRY_PASSWORD])
    workdir = Path(tempfile.mkdtemp(prefix="mlreef-run-", dir=settings.RUN_WORK_DIR or None))
    job = RunJob(run, log, workdir, metrics.MetricRecorder(run))
    try:
        _perform(job)
        _finish(job, Status.SUCCEEDED)
    except Cancelled:
        _finish(job, Status.CANCELLED, reason="Cancelled by a user.")
    except RunUserError as error:
        _finish(job, Status.FAILED, reason=str(error), kind=FailureKind.USER)
    except (RunPlatformError, RunnerError) as error:
        _finish(job, Status.FAILED, reason=str(error), kind=FailureKind.PLATFORM)
    except Exception as error:  # noqa: BLE001 - never leave a run running
        logger.exception("run %s crashed", run_id)
        log.write(traceback.format_exc(limit=5), important=True)
        _finish(job, Status.FAILED, reason=f"Internal error: {error}", kind=FailureKind.PLATFORM)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _perform(job: RunJob) -> None:
    """preparing -> running -> collecting; the container is gone before the run is final."""
    run, log, workdir = job.run, job.log, job.workdir
    log.write("== preparing ==", important=True)
    runner = get_runner()
    input_dir = _fetch_dataset(job)
    runner.pull(run.image, log.write, _registry_credentials(job))
    output_dir = workdir / "output"
    output_dir.mkdir()
    output_dir.chmod(0o777)  # writable by whatever user the image runs as
    _advance(job, Status.RUNNING)
    log.write(f"$ {run.image.split('@')[0]} {' '.join(run.command)}", important=True)
    name = f"mlreef-run-{run.pk}-{uuid.uuid4().hex[:8]}"
    Run.objects.filter(pk=run.pk).update(container_name=name)
    execution = runner.start(
        ContainerSpec(
            image=run.image,
            arguments=list(run.command),
            input_dir=input_dir,
            output_dir=output_dir,
            cpus=run.cpu_limit,
            memory_mb=run.memory_limit_mb,
            name=name,
            labels={"ai.mlreef.run": str(run.pk)},
        )
    )
    try:
        exit_status, over_time = _watch(job, execution, output_dir)
    finally:
        execution.stop()
        execution.remove()
    _advance(job, Status.COLLECTING)
    _read_metrics(job, output_dir, final=True)
    _upload_outputs(job, output_dir)
    _judge(job, exit_status, over_time)


def _advance(job: RunJob, status: str) -> None:
    updated = (
        Run.objects.filter(pk=job.run.pk, cancel_requested=False)
        .exclude(status__in=(Status.CANCELLED, Status.FAILED))
        .update(status=status, heartbeat_at=timezone.now())
    )
    if not updated:
        raise Cancelled()
    job.run.status = job.log.step = status
    job.log.write(f"== {status} ==", important=True)


def _git_env(token: str) -> dict[str, str]:
    """The credential travels in git's config environment: never in argv, URLs or logs."""
    basic = base64.b64encode(f"run:{token}".encode()).decode()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }


def _git(job: RunJob, env: dict, *args: str, cwd: Path) -> str:
    result = subprocess.run(
        [settings.GIT_BINARY, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=3600
    )
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()[-500:]
        raise RunPlatformError(f"git {args[0]} of the dataset failed: {output}")
    return result.stdout


def _fetch_dataset(job: RunJob) -> Path:
    """Fetch exactly the run's dataset commit over the hub's HTTP, with LFS content if any."""
    run = job.run
    dataset = run.dataset
    token = issue_internal_token(
        run.created_by, [dataset.credential_resource], ("read",), ttl_seconds=3600
    )
    job.log.secrets.append(token)
    url = f"{settings.HUB_URL}{dataset.clone_path()}"
    checkout = job.workdir / "dataset"
    git_dir = job.workdir / "dataset.git"
    checkout.mkdir()
    env = {**_git_env(token), "GIT_DIR": str(git_dir), "GIT_WORK_TREE": str(checkout)}
    started = time.monotonic()
    job.log.write(f"Fetching {dataset.full_name} at {run.dataset_commit} from {url}")
    _git(job, env, "init", "-q", cwd=checkout)
    fetched = subprocess.run(
        [settings.GIT_BINARY, "fetch", "-q", "--depth", "1", url, run.dataset_commit],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if fetched.returncode != 0:  # a server that refuses fetching by commit: take the history
        _git(job, env, "fetch", "-q", url, "+refs/heads/*:refs/remotes/hub/*", cwd=checkout)
    _git(job, env, "checkout", "-q", run.dataset_commit, "--", ".", cwd=checkout)
    attributes = checkout / ".gitattributes"
    if attributes.is_file() and "filter=lfs" in attributes.read_text(errors="replace"):
        if shutil.which("git-lfs") is None:
            raise RunPlatformError("The dataset uses Git LFS but git-lfs is not installed here.")
        _git(job, env, "config", "lfs.url", f"{url}/info/lfs", cwd=checkout)
        _git(job, env, "lfs", "pull", url, cwd=checkout)
        _git(job, env, "lfs", "checkout", cwd=checkout)
    count = sum(1 for p in checkout.rglob("*") if p.is_file())
    job.log.write(f"{count} dataset files in {time.monotonic() - started:.1f} s")
    if len(run.input_paths) <= 1:
        return checkout
    staged = job.workdir / "input"
    for path in run.input_paths:
        source, target = checkout / path, staged / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copy2(source, target)
    return staged


def _registry_credentials(job: RunJob) -> tuple[str, str]:
    """The registry's own account if one is configured, else a short-lived credential that
    lets the run's author pull this module's images (the built-in registry checks it)."""
    if settings.REGISTRY_USERNAME:
        return settings.REGISTRY_USERNAME, settings.REGISTRY_PASSWORD
    from registry.access import resource  # the registry names its resources

    token = issue_internal_token(
        job.run.created_by, [resource(job.run.module.full_name)], ("read",), ttl_seconds=900
    )
    job.log.secrets.append(token)
    return "mlreef-run", token


def _watch(job: RunJob, execution, output_dir: Path) -> tuple[ExitStatus, bool]:
    """Follow the container: output to the log, metrics as they appear, cancel and time limit."""
    deadline = time.monotonic() + job.run.time_limit_seconds
    while True:
        for line in execution.read_output(timeout=0.2):
            job.log.write(line)
            data = metrics.parse_stdout_line(line)
            if data is not None:
                job.recorder.record_stdout(data)
        _read_metrics(job, output_dir)
        try:
            job.log.heartbeat()
        except Cancelled:
            execution.stop()
            job.log.write("Cancelled: the container was stopped.", important=True)
            raise
        status = execution.poll()
        if status is not None:
            return status, False
        if time.monotonic() > deadline:
            execution.stop()
            for line in execution.read_output(timeout=1):
                job.log.write(line)
            return ExitStatus(code=-1), True


def _read_metrics(job: RunJob, output_dir: Path, final: bool = False) -> None:
    path = output_dir / metrics.EXPERIMENT_FILE
    try:
        stat = path.stat()
    except OSError:
        return
    signature = (stat.st_mtime_ns, stat.st_size)
    if not final and signature == getattr(job, "_metrics_signature", None):
        return
    job._metrics_signature = signature  # type: ignore[attr-defined]
    try:
        job.recorder.record(metrics.read_experiment_file(path))
    except metrics.MetricsError as error:
        if final or signature not in job.warned:
            job.warned.add(signature)
            job.log.write(f"warning: {metrics.EXPERIMENT_FILE} skipped: {error}", important=True)


def _upload_outputs(job: RunJob, output_dir: Path) -> None:
    """Every file the run wrote becomes an artifact, uploaded over HTTP (no shared disk)."""
    import requests

    files = sorted(p for p in output_dir.rglob("*") if p.is_file() and not p.is_symlink())
    total = sum(p.stat().st_size for p in files)
    if total > settings.RUN_ARTIFACT_LIMIT:
        raise RunUserError(
            f"The outputs are {total} bytes, more than the {settings.RUN_ARTIFACT_LIMIT} bytes a "
            "run may keep (RUN_ARTIFACT_LIMIT)."
        )
    if not files:
        job.log.write("The run wrote no output files.")
        return
    run = job.run
    token = issue_internal_token(run.created_by, [run.resource], ("write",), ttl_seconds=3600)
    job.log.secrets.append(token)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for file in files:
        relative = file.relative_to(output_dir).as_posix()
        digest = _sha256(file)
        url = (
            f"{settings.HUB_URL}/api/v1/runs/{run.pk}/artifacts/{quote(relative)}"
            f"?digest=sha256:{digest}"
        )
        for attempt in range(1, 4):
            try:
                with file.open("rb") as body:
                    response = session.put(url, data=body, timeout=600)
            except requests.RequestException as error:
                if attempt == 3:
                    raise RunPlatformError(f"Uploading {relative} failed: {error}") from None
                time.sleep(attempt)
                continue
            if response.status_code == 413:
                raise RunUserError(f"{relative}: {response.json().get('detail', response.text)}")
            if response.status_code >= 400:
                raise RunPlatformError(
                    f"The hub refused {relative} ({response.status_code}): {response.text[:300]}"
                )
            break
        job.log.heartbeat()
    job.log.write(f"Kept {len(files)} output files ({total} bytes) as artifacts")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _judge(job: RunJob, status: ExitStatus, over_time: bool) -> None:
    run = job.run
    Run.objects.filter(pk=run.pk).update(exit_code=status.code)
    if over_time:
        raise RunUserError(
            f"Time limit exceeded: the run took more than {run.time_limit_seconds} s."
        )
    if status.oom_killed:
        raise RunUserError(
            f"Memory limit exceeded: the script used more than {run.memory_limit_mb} MiB."
        )
    if status.code != 0:
        raise RunUserError(
            f"The script exited with code {status.code}; its output (and any traceback) is in "
            "the log above."
        )


def _finish(job: RunJob, status: str, reason: str = "", kind: str = "") -> None:
    run = job.run
    job.log.check_cancel = False
    job.log.step = status
    if reason:
        prefix = {
            FailureKind.USER: "The run failed (fix the script, its inputs or its limits)",
            FailureKind.PLATFORM: "The run failed (platform error)",
        }.get(kind, "Stopped")
        job.log.write(f"{prefix}: {reason}", important=True)
    job.log.write(f"== {status} ==", important=True)
    job.log.save_size()
    Run.objects.filter(pk=run.pk).update(
        status=status,
        failure_reason=reason,
        failure_kind=kind,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
