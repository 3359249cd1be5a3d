"""Publishing workflows: start (wizard, API, push), run (the Celery task's body), cancel, reap.

A publication is a state machine: queued -> cloning -> parsing -> building -> pushing ->
published, or failed / cancelled. Each step writes to the publication's log as it happens.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import traceback
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import timedelta
from pathlib import Path

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.models import User
from modules import services as module_services
from modules.models import Module
from modules.repository import NotFound, RepositoryError, validate_path

from . import config, source
from .builders import (
    BuildPlatformError,
    BuildRequest,
    BuildUserError,
    builder_path,
    get_builder,
)
from .logs import Cancelled, PublicationLog
from .models import ACTIVE_STATUSES, BaseEnvironment, Publication, Status, VersionCounter
from .reader import EntrypointError, convention_problem, read_entrypoint_isolated
from .registry import TagError, get_registry

logger = logging.getLogger(__name__)


class PublishError(Exception):
    """A publication cannot be started with these choices; the message says why (HTTP 400)."""


class UserError(Exception):
    """The module's content is at fault: the build fails with this reason, for the user to fix."""


# -- reading a revision -----------------------------------------------------------------------
def export_commit(module: Module, sha: str, target: Path) -> list[str]:
    """Write the files of ``sha`` (no .git) to ``target``; drop symlinks leaving the tree.

    Returns what was left out, for the log.
    """
    return source.export(module.repository_path, sha, target).dropped


def read_parameters(module: Module, sha: str, entrypoint: str) -> dict:
    """The reader's result for ``entrypoint`` at ``sha`` (raises EntrypointError)."""
    with tempfile.TemporaryDirectory() as tmp:
        export_commit(module, sha, Path(tmp))
        return read_entrypoint_isolated(Path(tmp) / entrypoint, Path(tmp))


def existing_choices(module: Module, ref: str) -> config.PublishChoices | None:
    try:
        text = module.repository.read_file(ref, config.CONFIG_PATH).decode("utf-8", "replace")
        return config.parse(text)
    except (RepositoryError, config.ConfigError):
        return None


def image_repository(module: Module) -> str:
    return f"{get_registry().host()}/{module.namespace}/{module.slug}"


# -- starting ---------------------------------------------------------------------------------
@dataclass
class PublishRequest:
    ref: str
    entrypoint: str
    base_environment: str
    requirements_path: str = "requirements.txt"
    inference_entrypoint: str = ""
    parameters_file: str = ""
    hidden_parameters: list[str] = field(default_factory=list)
    write_config: bool = True
    # The address the hub was reached at (for the image's source label when PUBLIC_URL is unset).
    hub_url: str = ""

    @classmethod
    def from_choices(cls, ref: str, choices: config.PublishChoices, **options) -> PublishRequest:
        return cls(ref=ref, **asdict(choices), **options)

    def choices(self) -> config.PublishChoices:
        return config.PublishChoices(
            **{f.name: getattr(self, f.name) for f in fields(config.PublishChoices)}
        )


def check_paths(module: Module, sha: str, request: PublishRequest) -> None:
    files = set(module.repository.list_files(sha))
    for label, path, required in (
        ("Training entry point", request.entrypoint, True),
        ("Inference entry point", request.inference_entrypoint, False),
        ("Parameters file", request.parameters_file, False),
    ):
        if not path and not required:
            continue
        try:
            clean = validate_path(path)
        except RepositoryError as error:
            raise PublishError(f"{label}: {error}") from None
        if label != "Parameters file" and not clean.endswith(".py"):
            raise PublishError(f"{label} must be a .py file, not '{path}'.")
        if clean not in files:
            raise PublishError(f"{label} '{clean}' does not exist at {sha[:10]}.")
    try:
        validate_path(request.requirements_path)
    except RepositoryError as error:
        raise PublishError(f"Requirements file: {error}") from None


def start_publication(module: Module, user: User | None, request: PublishRequest) -> Publication:
    """Validate choices, write mlreef.yml to the branch, and queue the build."""
    if not module.is_publishable:
        raise PublishError(f"{module.full_name} is a dataset; only code modules are published.")
    environment = BaseEnvironment.objects.filter(name=request.base_environment).first()
    if environment is None or not environment.active:
        names = ", ".join(
            BaseEnvironment.objects.filter(active=True).values_list("name", flat=True)
        )
        raise PublishError(
            f"Unknown base environment '{request.base_environment}'. Available: {names or 'none'}."
        )
    repository = module.repository
    if repository.is_empty():
        raise PublishError("The module has no code yet: push or upload it first.")
    ref = request.ref or module.head_branch
    try:
        sha = repository.resolve(ref)
    except NotFound:
        raise PublishError(f"No branch or commit '{ref}'.") from None
    branch = ref if ref in repository.branch_names() else ""
    check_paths(module, sha, request)

    if branch and request.write_config and user is not None:
        try:
            sha = _write_config(module, user, branch, sha, request, environment)
        except RepositoryError as error:  # e.g. a push moved the branch meanwhile
            raise PublishError(f"Could not write mlreef.yml to {branch}: {error}") from None
    with transaction.atomic():
        Module.objects.select_for_update().filter(pk=module.pk).first()
        publication = Publication.objects.create(
            module=module,
            version=_next_version(module),
            branch=branch,
            commit_sha=sha,
            entrypoint=validate_path(request.entrypoint),
            inference_entrypoint=request.inference_entrypoint,
            parameters_file=request.parameters_file,
            requirements_path=validate_path(request.requirements_path),
            parameter_visibility={name: False for name in request.hidden_parameters},
            base_environment=environment,
            builder=builder_path().rsplit(".", 1)[-1],
            hub_url=settings.PUBLIC_URL or request.hub_url,
            published_by=user,
        )
        _append(
            publication,
            f"Queued version {publication.version} of {module.full_name} at "
            f"{sha[:10]}{f' ({branch})' if branch else ''} by "
            f"{user.username if user else 'a push'}",
        )
        transaction.on_commit(lambda: _enqueue(publication.pk))
    return publication


def _next_version(module: Module) -> int:
    """One more than any version this namespace/name ever had, even by a deleted module, so
    a re-created module never overwrites old image tags. Call with the module row locked."""
    counter, _ = VersionCounter.objects.select_for_update().get_or_create(
        namespace=module.namespace, slug=module.slug
    )
    last = module.publications.aggregate(last=Max("version"))["last"] or 0
    counter.last = max(last, counter.last) + 1
    counter.save(update_fields=["last"])
    return counter.last


def _write_config(
    module: Module,
    user: User,
    branch: str,
    sha: str,
    request: PublishRequest,
    environment: BaseEnvironment,
) -> str:
    """Commit mlreef.yml unless an identical one is there; returns the commit to build."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        export_commit(module, sha, root)
        try:
            parameters = read_entrypoint_isolated(root / request.entrypoint, root)["parameters"]
            inference = (
                read_entrypoint_isolated(root / request.inference_entrypoint, root)["parameters"]
                if request.inference_entrypoint
                else []
            )
        except EntrypointError:
            return sha  # the build reports the error; no half-written mlreef.yml
        current_file = root / config.CONFIG_PATH
        current = current_file.read_text() if current_file.is_file() else None
    text = config.render(
        module, request.choices(), parameters, inference, environment, image_repository(module)
    )
    if current == text:
        return sha
    return module_services.commit_files(
        module,
        user,
        branch,
        {config.CONFIG_PATH: text.encode()},
        "Update mlreef.yml for publishing",
        expected_head=sha,
    )


def _enqueue(publication_id: int) -> None:
    """Send the build message (after the commit that created the publication).

    A broker that is briefly unreachable is not the user's problem: the publication stays
    queued and ``resend_queued_publications`` sends it again. The task id is chosen here and
    stored first, so the row always names the latest message sent.
    """
    from .tasks import run_publication_task

    task_id = str(uuid.uuid4())
    Publication.objects.filter(pk=publication_id, status=Status.QUEUED).update(
        task_id=task_id, sent_at=timezone.now()
    )
    try:
        run_publication_task.apply_async(
            (publication_id,), task_id=task_id, retry=True, retry_policy=SEND_RETRY_POLICY
        )
    except Exception as error:  # noqa: BLE001 - any broker failure; the sweep re-sends
        logger.warning("could not queue publication %s, will re-send: %s", publication_id, error)


# Short: a web request waits at most about a second for a broker that is down.
SEND_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.3}


def resend_queued_publications() -> int:
    """Send again what no worker took after PUBLISH_REQUEUE_AFTER seconds: a message lost
    with a restarted broker must not lose the publication (the atomic claim in
    run_publication makes a duplicate message harmless)."""
    cutoff = timezone.now() - timedelta(seconds=settings.PUBLISH_REQUEUE_AFTER)
    waiting = Publication.objects.filter(status=Status.QUEUED, started_at__isnull=True).filter(
        Q(sent_at__lt=cutoff) | Q(sent_at__isnull=True, created_at__lt=cutoff)
    )
    sent = 0
    for publication_id in waiting.values_list("pk", flat=True):
        _enqueue(publication_id)
        sent += 1
    return sent


def publish_on_push(module: Module, branch: str) -> Publication | None:
    """After a push: publish when the module opted in and the branch carries mlreef.yml."""
    if not module.is_publishable or not module.publish_on_push:
        return None
    if branch != (module.publish_branch or module.default_branch):
        return None
    choices = existing_choices(module, branch)
    if choices is None:
        return None
    request = PublishRequest.from_choices(branch, choices, write_config=False)
    try:
        return start_publication(module, None, request)
    except PublishError as error:
        logger.warning("publish-on-push of %s skipped: %s", module.full_name, error)
        return None


# -- cancelling and reaping -------------------------------------------------------------------
def cancel_publication(publication: Publication) -> Publication:
    """Queued ones end at once; running ones stop at their next log line."""
    if publication.is_final:
        return publication
    Publication.objects.filter(pk=publication.pk).update(cancel_requested=True)
    if Publication.objects.filter(pk=publication.pk, status=Status.QUEUED).update(
        status=Status.CANCELLED, finished_at=timezone.now()
    ):
        _append(publication, "Cancelled before the build started.")
    publication.refresh_from_db()
    return publication


def reap_stale_publications(publications=None) -> int:
    """Fail publications that will not finish by themselves, with the reason why.

    - never started: no worker took it within PUBLISH_QUEUE_TIMEOUT (messages are re-sent
      meanwhile), so no worker is running or none can reach the broker;
    - worker died or hung: started, then no heartbeat for PUBLISH_HEARTBEAT_TIMEOUT. Its task
      is also stopped (revoke with terminate), so a hung build cannot keep holding a worker.

    Beat runs it over all of them; pages and the API pass just the ones they are about to show.
    """
    heartbeat = timedelta(seconds=settings.PUBLISH_HEARTBEAT_TIMEOUT)
    queue_timeout = timedelta(seconds=settings.PUBLISH_QUEUE_TIMEOUT)
    now = timezone.now()
    reaped = 0
    candidates = Publication.objects.all() if publications is None else publications
    for publication in candidates.filter(status__in=ACTIVE_STATUSES):
        if publication.started_at is None:
            if now - publication.created_at <= queue_timeout:
                continue
            waited = int(queue_timeout.total_seconds())
            reason = (
                f"Never started: no build worker took it within {waited} s. Is a Celery "
                "worker running and connected to the broker?"
            )
        elif publication.is_stale(heartbeat):
            reason = (
                f"The build worker died or hung: no sign of life for "
                f"{int(heartbeat.total_seconds())} s. The build was stopped."
            )
        else:
            continue
        if Publication.objects.filter(pk=publication.pk, status=publication.status).update(
            status=Status.FAILED,
            failure_kind="platform",
            failure_reason=reason,
            finished_at=timezone.now(),
        ):
            _stop_task(publication.task_id)
            _append(publication, reason)
            reaped += 1
    return reaped


def _stop_task(task_id: str) -> None:
    """Revoke the task and kill it where it runs (a hung build otherwise holds the worker)."""
    if not task_id:
        return
    try:
        current_app.control.revoke(task_id, terminate=True, signal="SIGKILL")
    except Exception as error:  # noqa: BLE001 - the broker may be the thing that is down
        logger.warning("could not revoke task %s: %s", task_id, error)


def _append(publication: Publication, text: str) -> None:
    PublicationLog(publication, check_cancel=False).write(text, important=True)


# -- running (the Celery task's body) ---------------------------------------------------------
BUILD_FOLDER_PREFIX = "mlreef-build-"


def sweep_build_folders() -> int:
    """Remove build folders left by killed workers (their process is gone); at worker start."""
    removed = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{BUILD_FOLDER_PREFIX}*"):
        pid = folder.name[len(BUILD_FOLDER_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and (int(pid) == os.getpid() or _alive(int(pid))):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class BuildRun:
    """Per-run state, kept off the task object (Celery reuses task instances)."""

    publication: Publication
    log: PublicationLog
    workdir: Path
    request: BuildRequest | None = None
    epoch: int = 0  # the commit time


def run_publication(publication_id: int, task_id: str = "") -> None:
    publication = Publication.objects.select_related("module__owner", "base_environment").get(
        pk=publication_id
    )
    now = timezone.now()
    claimed = Publication.objects.filter(
        pk=publication_id, status=Status.QUEUED, started_at__isnull=True
    ).update(
        started_at=now,
        heartbeat_at=now,
        # The message that won the claim: the one the reaper must stop if the build hangs.
        **({"task_id": task_id} if task_id else {}),
    )
    if not claimed:
        return  # cancelled while queued, or a redelivered message for a run already taken
    publication.started_at = publication.heartbeat_at = now
    log = PublicationLog(publication, secrets=_secrets())
    with tempfile.TemporaryDirectory(prefix=f"{BUILD_FOLDER_PREFIX}{os.getpid()}-") as tmp:
        run = BuildRun(publication, log, Path(tmp))
        builder = None
        try:
            _advance(run, Status.CLONING)
            code = _clone(run)
            _advance(run, Status.PARSING)
            parameters = _parse(run, code)
            _advance(run, Status.BUILDING)
            builder = get_builder()
            run.request = _prepare_context(run, code, parameters)
            builder.build(run.request, log.write)
            _advance(run, Status.PUSHING)
            digest = _push(run, builder)
            _publish(run, digest)
        except Cancelled:
            _finish(run, Status.CANCELLED, reason="Cancelled by a user.")
        except SoftTimeLimitExceeded:
            _finish(
                run,
                Status.FAILED,
                reason=f"The build ran longer than {settings.PUBLISH_TIME_LIMIT} s and was "
                "stopped (PUBLISH_TIME_LIMIT).",
                kind="user",
            )
        except (UserError, BuildUserError) as error:
            _finish(run, Status.FAILED, reason=str(error), kind="user")
        except BuildPlatformError as error:
            _finish(run, Status.FAILED, reason=str(error), kind="platform")
        except Exception as error:  # noqa: BLE001 - never leave a publication running
            logger.exception("publication %s crashed", publication_id)
            log.write(traceback.format_exc(limit=5), important=True)
            _finish(run, Status.FAILED, reason=f"Internal error: {error}", kind="platform")
        finally:
            if run.request is not None and run.publication.status != Status.PUBLISHED:
                _discard(run)
            if builder is not None and run.request is not None:
                builder.cleanup(run.request)


def _secrets() -> list[str]:
    return [
        settings.REGISTRY_PASSWORD,
        settings.BUILD_PIP_INDEX_URL,
        settings.BUILD_PIP_EXTRA_INDEX_URL,
    ]


def _advance(run: BuildRun, status: str) -> None:
    publication = run.publication
    updated = (
        Publication.objects.filter(pk=publication.pk, cancel_requested=False)
        .exclude(status__in=(Status.CANCELLED, Status.FAILED))
        .update(status=status, heartbeat_at=timezone.now())
    )
    if not updated:
        raise Cancelled()
    publication.status = run.log.step = status
    run.log.write(f"== {status} ==", important=True)


def _clone(run: BuildRun) -> Path:
    publication = run.publication
    code = run.workdir / "context" / "code"
    run.log.write(f"Checking out {publication.commit_sha} of {publication.module.full_name}")
    try:
        checked_out = source.checkout(publication.module, publication.commit_sha, code)
    except source.ExportError as error:
        raise UserError(str(error)) from None
    except RepositoryError as error:
        raise BuildPlatformError(f"Could not get {publication.commit_sha[:10]}: {error}") from None
    if checked_out.fetched_from:
        run.log.write(
            f"Fetched over git HTTP from {checked_out.fetched_from} with a short-lived "
            "read credential (this worker does not share the hub's disk)"
        )
    run.epoch = checked_out.epoch
    for path in checked_out.dropped:
        run.log.write(f"Left out {path}: a symlink pointing outside the repository", important=True)
    count = sum(1 for p in code.rglob("*") if p.is_file())
    run.log.write(f"{count} files checked out (without .git)")
    return code


def _parse(run: BuildRun, code: Path) -> list[dict]:
    publication = run.publication
    run.log.write(f"Reading the parameters of {publication.entrypoint} (the code is not run)")
    try:
        result = read_entrypoint_isolated(code / publication.entrypoint, code)
    except EntrypointError as error:
        raise UserError(f"Cannot read {publication.entrypoint}: {error}") from None
    for warning in result["warnings"]:
        run.log.write(f"warning: line {warning['line']}: {warning['message']}", important=True)
    problem = convention_problem(result)
    if problem:
        run.log.write(problem, important=True)
        raise UserError(problem)  # the whole fix, snippet included, for the page's banner
    if not (code / publication.requirements_path).is_file():
        raise UserError(
            f"The requirements file '{publication.requirements_path}' does not exist at "
            f"{publication.commit_sha[:10]}. Add it (it may be empty) or choose another path."
        )
    hidden = {name for name, visible in publication.parameter_visibility.items() if not visible}
    parameters = [{**p, "visible": p["name"] not in hidden} for p in result["parameters"]]
    Publication.objects.filter(pk=publication.pk).update(parameters=parameters)
    publication.parameters = parameters
    for parameter in parameters:
        run.log.write(
            f"  {', '.join(parameter['flags']) or parameter['name']}: "
            f"type={parameter['type']} default={json.dumps(parameter['default'])}"
            f"{' required' if parameter['required'] else ''}"
        )
    return parameters


DOCKERFILE = """\
# Generated by the MLReef hub for {title}
# The build has no network: the worker downloaded the requirements as wheels into wheelhouse/.
FROM {base_image} AS dependencies
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_NO_INDEX=1
RUN python3 -m venv /opt/venv
# Requirements get their own layer, before the code: a code-only change reuses it.
COPY wheelhouse/ /opt/mlreef/wheelhouse/
RUN set -e; cd /opt/mlreef/wheelhouse; if ls *.whl >/dev/null 2>&1; then \\
    /opt/venv/bin/pip install --no-index --no-deps --no-compile *.whl; fi

FROM {base_image}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH
COPY --from=dependencies /opt/venv /opt/venv
COPY code/ /app/
WORKDIR /app
ENTRYPOINT ["python", "/app/{entrypoint}"]
"""


def _prepare_context(run: BuildRun, code: Path, parameters: list[dict]) -> BuildRequest:
    publication = run.publication
    module = publication.module
    context = code.parent
    if settings.BUILD_CA_BUNDLE and not Path(settings.BUILD_CA_BUNDLE).is_file():
        raise BuildPlatformError(
            f"BUILD_CA_BUNDLE {settings.BUILD_CA_BUNDLE} does not exist on the worker."
        )
    dockerfile = DOCKERFILE.format(
        title=module.full_name,
        base_image=publication.base_environment.image,
        entrypoint=publication.entrypoint,
    )
    (context / "Dockerfile.mlreef").write_text(dockerfile)
    image_registry = get_registry()
    repository = image_repository(module)
    # The build pushes under a throw-away tag; the version's tag comes with "published".
    tags = [image_registry.build_tag(publication.version)]
    target = image_registry.push_target(module)
    run.log.secrets.append(target.password)
    public_url = publication.hub_url or settings.PUBLIC_URL or settings.HUB_URL
    labels = {
        "org.opencontainers.image.source": f"{public_url}{module.get_absolute_url()}",
        "org.opencontainers.image.revision": publication.commit_sha,
        "org.opencontainers.image.title": module.name,
        "ai.mlreef.module": module.full_name,
        "ai.mlreef.kind": module.kind,
        "ai.mlreef.entrypoint": publication.entrypoint,
        "ai.mlreef.parameters": json.dumps(parameters, separators=(",", ":")),
    }
    if publication.inference_entrypoint:
        # Run it with: docker run --entrypoint python IMAGE /app/<inference entry point> ...
        labels["ai.mlreef.inference_entrypoint"] = publication.inference_entrypoint
    Publication.objects.filter(pk=publication.pk).update(
        image_reference=f"{repository}:{publication.version}"
    )
    return BuildRequest(
        context,
        "Dockerfile.mlreef",
        repository,
        tags,
        labels,
        base_image=publication.base_environment.image,
        python_version=publication.base_environment.python_version,
        requirements_path=publication.requirements_path,
        entrypoint=publication.entrypoint,
        source_date_epoch=run.epoch,
        target=target,
    )


def _push(run: BuildRun, builder) -> str:
    request = run.request
    assert request is not None
    run.log.write(f"Pushing {request.repository} (build tag {request.tags[0]})")
    digest = builder.push(request, run.log.write)
    run.log.write(f"Pushed {request.repository}@{digest}", important=True)
    return digest


def _publish(run: BuildRun, digest: str) -> None:
    """Tag the version and mark it published in one transaction: both or neither.

    The module row lock serialises publications of one module, so ``latest`` only ever moves
    forward to the highest published version of the default branch.
    """
    publication = run.publication
    module = publication.module
    assert run.request is not None
    latest = bool(publication.branch) and publication.branch == module.default_branch
    with transaction.atomic():
        Module.objects.select_for_update().filter(pk=module.pk).first()
        current = Publication.objects.select_for_update().get(pk=publication.pk)
        if current.cancel_requested or current.status != Status.PUSHING:
            raise Cancelled()
        newer = module.publications.filter(
            status=Status.PUBLISHED, branch=publication.branch, version__gt=publication.version
        ).exists()
        try:
            get_registry().publish(
                module, digest, run.request.tags[0], str(publication.version), latest and not newer
            )
        except TagError as error:
            message = f"Could not tag version {publication.version}: {error}"
            raise BuildPlatformError(message) from None
        tags = [str(publication.version), *(["latest"] if latest and not newer else [])]
        run.log.write(f"Tagged {', '.join(tags)}", important=True)
        _finish(run, Status.PUBLISHED, digest=digest)
    publication.status = Status.PUBLISHED


def _discard(run: BuildRun) -> None:
    """A build that did not publish leaves no tag behind (not even its build tag)."""
    assert run.request is not None
    try:
        get_registry().discard(run.publication.module, run.request.tags[0])
    except Exception as error:  # noqa: BLE001 - cleaning up must not hide the real outcome
        logger.warning("could not discard build tag %s: %s", run.request.tags[0], error)


def _finish(run: BuildRun, status: str, digest: str = "", reason: str = "", kind: str = "") -> None:
    publication = run.publication
    run.log.check_cancel = False
    run.log.step = status
    if reason:
        prefix = {
            "user": "Publishing failed (fix the module)",
            "platform": "Publishing failed (platform error)",
        }.get(kind, "Stopped")
        run.log.write(f"{prefix}: {reason}", important=True)
    run.log.write(f"== {status} ==", important=True)
    run.log.save_size()
    Publication.objects.filter(pk=publication.pk).update(
        status=status,
        image_digest=digest,
        failure_reason=reason,
        failure_kind=kind,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
