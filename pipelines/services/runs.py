"""Executing a run (the Celery task's body, on a run worker).

A run worker needs no disk shared with the web server: it fetches the dataset over the hub's
git (+ LFS) HTTP with a short-lived internal credential, runs the image through the runner,
streams output to the run's log, records metrics as they appear, and uploads the output
directory back over HTTP.
"""

from __future__ import annotations

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
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone

from accounts.internal import issue_internal_token
from publishing import jobs
from publishing.logs import Cancelled

from .. import metrics
from ..models import FailureKind, Run, Status
from ..runners import (
    CONTAINER_PREFIX,
    RUN_LABEL,
    ContainerSpec,
    ExitStatus,
    RunnerError,
    get_runner,
)
from .common import RunLog, RunPlatformError, RunUserError

logger = logging.getLogger(__name__)


# -- executing (the Celery task's body, on a run worker) -------------------------------------
@dataclass
class RunJob:
    """Per-run state, kept off the task object (Celery reuses task instances)."""

    run: Run
    log: RunLog
    workdir: Path
    recorder: metrics.MetricRecorder
    warned: set = field(default_factory=set)
    input_dir: Path | None = None  # given: a previous step's output, not the dataset


def execute_run(run_id: int) -> None:
    if not claim_run(run_id):
        return  # cancelled while queued, or a redelivered message for a run already taken
    run = Run.objects.select_related(
        "dataset__owner", "module__owner", "publication__base_environment"
    ).get(pk=run_id)
    workdir = Path(tempfile.mkdtemp(prefix="mlreef-run-", dir=settings.RUN_WORK_DIR or None))
    try:
        run_claimed(run, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def claim_run(run_id: int) -> bool:
    """queued -> preparing, once: False when it was cancelled or another worker took it."""
    now = timezone.now()
    return bool(
        Run.objects.filter(pk=run_id, status=Status.QUEUED, started_at__isnull=True).update(
            status=Status.PREPARING, started_at=now, heartbeat_at=now, worker=socket.gethostname()
        )
    )


def run_claimed(run: Run, workdir: Path, input_dir: Path | None = None) -> str:
    """Execute a claimed run in ``workdir`` and return its final status. ``input_dir`` is what
    the container reads (a previous pipeline step's output); without it, the dataset commit."""
    run.refresh_from_db()
    log = RunLog(run, secrets=[settings.REGISTRY_PASSWORD])
    job = RunJob(run, log, workdir, metrics.MetricRecorder(run), input_dir=input_dir)
    try:
        _perform(job)
        _finish(job, Status.SUCCEEDED)
        return Status.SUCCEEDED
    except Cancelled:
        _finish(job, Status.CANCELLED, reason="Cancelled by a user.")
        return Status.CANCELLED
    except RunUserError as error:
        _finish(job, Status.FAILED, reason=str(error), kind=FailureKind.USER)
    except (RunPlatformError, RunnerError) as error:
        _finish(job, Status.FAILED, reason=str(error), kind=FailureKind.PLATFORM)
    except Exception as error:  # noqa: BLE001 - never leave a run running
        logger.exception("run %s crashed", run.pk)
        log.write(traceback.format_exc(limit=5), important=True)
        _finish(job, Status.FAILED, reason=f"Internal error: {error}", kind=FailureKind.PLATFORM)
    return Status.FAILED


def _perform(job: RunJob) -> None:
    """preparing -> running -> collecting; the container is gone before the run is final."""
    run, log, workdir = job.run, job.log, job.workdir
    log.write("== preparing ==", important=True)
    runner = get_runner()
    input_dir = job.input_dir or _fetch_dataset(job)
    runner.pull(run.image, log.write, _registry_credentials(job))
    output_dir = output_folder(workdir)
    output_dir.mkdir()
    output_dir.chmod(0o777)  # writable by whatever user the image runs as
    # The container's name is recorded before the run shows as running, so whoever sees
    # "running" (cancel, the reaper, tests) can already find its container.
    name = f"{CONTAINER_PREFIX}{run.pk}-{uuid.uuid4().hex[:8]}"
    Run.objects.filter(pk=run.pk).update(container_name=name)
    jobs.advance(log, Status.RUNNING)
    log.write(f"$ {run.image.split('@')[0]} {' '.join(run.command)}", important=True)
    execution = runner.start(
        ContainerSpec(
            image=run.image,
            arguments=list(run.command),
            input_dir=input_dir,
            output_dir=output_dir,
            cpus=run.cpu_limit,
            memory_mb=run.memory_limit_mb,
            name=name,
            labels={RUN_LABEL: str(run.pk)},
            gpus=run.publication.base_environment.accelerator == "gpu",
        )
    )
    try:
        exit_status, over_time = _watch(job, execution, output_dir)
    finally:
        execution.stop()
        execution.remove()
    jobs.advance(log, Status.COLLECTING)
    _read_metrics(job, output_dir, final=True)
    _upload_outputs(job, output_dir)
    _judge(job, exit_status, over_time)


def output_folder(workdir: Path) -> Path:
    return workdir / "output"


def _git_env(token: str) -> dict[str, str]:
    """The credential reaches git and git-lfs through a credential helper that reads it from
    the environment: never in argv, URLs, config files or logs."""
    helper = '!f() { echo username=mlreef-run; echo "password=$MLREEF_RUN_CREDENTIAL"; }; f'
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "credential.helper",
        "GIT_CONFIG_VALUE_0": helper,
        "MLREEF_RUN_CREDENTIAL": token,
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
    _git(job, env, "remote", "add", "hub", url, cwd=checkout)
    fetched = subprocess.run(
        [settings.GIT_BINARY, "fetch", "-q", "--depth", "1", "hub", run.dataset_commit],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if fetched.returncode != 0:  # a server that refuses fetching by commit: take the history
        _git(job, env, "fetch", "-q", "hub", cwd=checkout)
    _git(job, env, "checkout", "-q", "--detach", run.dataset_commit, cwd=checkout)
    attributes = checkout / ".gitattributes"
    if attributes.is_file() and "filter=lfs" in attributes.read_text(errors="replace"):
        if shutil.which("git-lfs") is None:
            raise RunPlatformError("The dataset uses Git LFS but git-lfs is not installed here.")
        # No smudge filter is installed here, so checkout left pointers; pull replaces them.
        lfs_env = {k: v for k, v in env.items() if k != "GIT_LFS_SKIP_SMUDGE"}
        _git(job, lfs_env, "lfs", "install", "--local", cwd=checkout)
        _git(job, lfs_env, "lfs", "pull", "hub", cwd=checkout)
        job.log.write("Git LFS content fetched")
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


FAILURE_PREFIXES = {
    FailureKind.USER: "The run failed (fix the script, its inputs or its limits)",
    FailureKind.PLATFORM: "The run failed (platform error)",
}


def _finish(job: RunJob, status: str, reason: str = "", kind: str = "") -> None:
    jobs.finish(job.log, status, reason, kind, FAILURE_PREFIXES)
