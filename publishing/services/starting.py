"""Starting a publication (wizard, API, push): validate the choices, write mlreef.yml, queue
the build, and send it again when its message was lost."""

from __future__ import annotations

import logging
import tempfile
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.models import User
from modules import services as module_services
from modules.models import Module
from modules.repository import NotFound, RepositoryError, validate_path

from .. import config
from ..builders import builder_path
from ..logs import PublicationLog
from ..models import BaseEnvironment, Publication, Status, VersionCounter
from ..reader import EntrypointError, read_entrypoint_isolated
from .revisions import existing_choices, export_commit, image_repository

logger = logging.getLogger(__name__)


class PublishError(Exception):
    """A publication cannot be started with these choices; the message says why (HTTP 400)."""


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
        PublicationLog.note(
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
    from ..tasks import run_publication_task

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
