"""Running a publication (the Celery task's body): clone, parse, build, push, publish.

Each step advances the state machine and writes to the publication's log as it happens.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from modules.models import Module
from modules.repository import RepositoryError

from .. import jobs, source
from ..builders import BuildPlatformError, BuildRequest, BuildUserError, get_builder
from ..logs import Cancelled, PublicationLog
from ..models import Publication, Status
from ..reader import EntrypointError, convention_problem, read_entrypoint_isolated
from ..registry import TagError, get_registry
from .build_context import build_request

logger = logging.getLogger(__name__)


class UserError(Exception):
    """The module's content is at fault: the build fails with this reason, for the user to fix."""


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
            jobs.advance(log, Status.CLONING)
            code = _clone(run)
            jobs.advance(log, Status.PARSING)
            parameters = _parse(run, code)
            jobs.advance(log, Status.BUILDING)
            builder = get_builder()
            run.request = build_request(run.publication, code, parameters, run.epoch)
            assert run.request.target is not None
            log.secrets.append(run.request.target.password)
            builder.build(run.request, log.write)
            jobs.advance(log, Status.PUSHING)
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


FAILURE_PREFIXES = {
    "user": "Publishing failed (fix the module)",
    "platform": "Publishing failed (platform error)",
}


def _finish(run: BuildRun, status: str, digest: str = "", reason: str = "", kind: str = "") -> None:
    jobs.finish(run.log, status, reason, kind, FAILURE_PREFIXES, image_digest=digest)
