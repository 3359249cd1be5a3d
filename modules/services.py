"""Workflows that span a module row, its repository and its collaborators."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.models import User

from . import quota
from .lfs.objects import store_object
from .lfs.pointers import LfsPatterns, Pointer
from .models import Collaborator, Module, ModuleRedirect
from .repository import Repository, RepositoryError, valid_branch_name, validate_path

GITATTRIBUTES = ".gitattributes"
LFS_ATTRIBUTES = "filter=lfs diff=lfs merge=lfs -text"


@dataclass(frozen=True)
class ModuleLookup:
    module: Module | None
    redirected: bool = False


def find_module(namespace: str, slug: str) -> ModuleLookup:
    """Find a module by its current name or, after a rename, by an old one."""
    module = (
        Module.objects.select_related("owner")
        .filter(owner__username=namespace.lower(), slug=slug.lower())
        .first()
    )
    if module is not None:
        return ModuleLookup(module)
    redirect = (
        ModuleRedirect.objects.select_related("module__owner")
        .filter(namespace=namespace.lower(), slug=slug.lower())
        .first()
    )
    return ModuleLookup(redirect.module, redirected=True) if redirect else ModuleLookup(None)


def _validate_unique_slug(owner: User, slug: str, exclude_pk: int | None = None) -> None:
    clash = Module.objects.filter(owner=owner, slug=slug).exclude(pk=exclude_pk).exists()
    if clash:
        raise ValidationError({"slug": f"You already have a module named '{slug}'."})


def default_slug(name: str) -> str:
    return slugify(name)[:64].strip("-_.") or "module"


@transaction.atomic
def create_module(owner: User, **fields) -> Module:
    """Create the row and its bare repository; if git fails the row is rolled back too."""
    if not fields.get("slug"):
        fields["slug"] = default_slug(fields.get("name", ""))
    module = Module(owner=owner, **fields)
    module.full_clean(exclude=["owner"], validate_unique=False)
    _validate_branches(module)
    _validate_unique_slug(owner, module.slug)
    module.save()
    # A name reused after a rename belongs to the new module from now on.
    ModuleRedirect.objects.filter(namespace=owner.username, slug=module.slug).delete()
    try:
        module.repository.create(module.default_branch)
    except Exception:
        module.repository.delete()  # never leave a half-created repository behind
        raise
    return module


def _validate_branches(module: Module) -> None:
    """git refuses names like "a b", "a..b" or "x.lock": say so before anything is created."""
    errors = {}
    for field in ("default_branch", "publish_branch"):
        value = getattr(module, field)
        if (value or field == "default_branch") and not valid_branch_name(value):
            errors[field] = f"'{value}' is not a valid branch name."
    if errors:
        raise ValidationError(errors)


def adopt_first_push(module: Module, branches: list[str]) -> None:
    """After the first push: when the default branch was not pushed, the pushed branch becomes
    the default (as GitHub and Gitea do), so the module page and publishing find the code."""
    if not branches or module.default_branch in branches:
        return
    chosen = next((name for name in ("main", "master") if name in branches), sorted(branches)[0])
    updates = {"default_branch": chosen}
    if module.publish_branch == module.default_branch:
        updates["publish_branch"] = chosen
    Module.objects.filter(pk=module.pk).update(**updates)
    for name, value in updates.items():
        setattr(module, name, value)
    module.repository.set_default_branch(chosen)


@transaction.atomic
def update_module(module: Module, **fields) -> Module:
    """Apply settings; a new slug keeps the old URL and clone URL redirecting."""
    old_slug = module.slug
    old_branch = module.default_branch
    for name, value in fields.items():
        setattr(module, name, value)
    module.full_clean(exclude=["owner"], validate_unique=False)
    _validate_branches(module)
    if module.slug != old_slug:
        _validate_unique_slug(module.owner, module.slug, exclude_pk=module.pk)
        ModuleRedirect.objects.filter(namespace=module.namespace, slug=module.slug).delete()
        ModuleRedirect.objects.update_or_create(
            namespace=module.namespace, slug=old_slug, defaults={"module": module}
        )
    module.save()
    if module.default_branch != old_branch:
        module.repository.set_default_branch(module.default_branch)
    return module


def delete_module(module: Module) -> None:
    """Delete the row, then its repository once the deletion is committed."""
    repository = module.repository
    with transaction.atomic():
        module.delete()
        transaction.on_commit(repository.delete)


def set_collaborator(module: Module, username: str, role: str) -> Collaborator:
    user = User.objects.filter(username=username.lower()).first()
    if user is None:
        raise ValidationError({"username": f"No user named '{username}'."})
    if user.pk == module.owner_id:
        raise ValidationError({"username": "The owner already has every right on the module."})
    if role not in ("read", "write"):
        raise ValidationError({"role": "Role must be 'read' or 'write'."})
    collaborator, _ = Collaborator.objects.update_or_create(
        module=module, user=user, defaults={"role": role}
    )
    return collaborator


def remove_collaborator(module: Module, username: str) -> bool:
    deleted, _ = Collaborator.objects.filter(
        module=module, user__username=username.lower()
    ).delete()
    return bool(deleted)


def commit_files(
    module: Module,
    user: User,
    branch: str,
    files: dict[str, bytes],
    message: str,
    expected_head: str | None = None,
) -> str:
    """Commit files authored by ``user`` after checking paths and the upload size limit."""
    total = sum(len(data) for data in files.values())
    if total > settings.MAX_UPLOAD_SIZE:
        raise RepositoryError(
            f"The upload is {total} bytes; the limit is {settings.MAX_UPLOAD_SIZE} bytes."
        )
    cleaned = {validate_path(path): data for path, data in files.items()}
    quota.check(module.owner, total)
    sha = module.repository.commit_files(
        branch or module.default_branch,
        cleaned,
        message,
        author_name=user.get_full_name() or user.username,
        author_email=user.commit_email,
        expected_head=expected_head,
    )
    module.repository.gc_auto()  # commits write loose objects; pushes do this themselves
    return sha


@dataclass(frozen=True)
class UploadResult:
    sha: str
    lfs_paths: list[str]


def _gitattributes(module: Module, branch: str, uploads: dict[str, IO[bytes]]) -> str:
    """The .gitattributes the commit will carry: the uploaded one, else the branch's."""
    if GITATTRIBUTES in uploads:
        upload = uploads[GITATTRIBUTES]
        text = upload.read().decode("utf-8", "replace")
        upload.seek(0)
        return text
    try:
        return module.repository.read_file(branch, GITATTRIBUTES, max_size=1024 * 1024).decode(
            "utf-8", "replace"
        )
    except RepositoryError:
        return ""


def _lfs_line(path: str) -> str:
    """A .gitattributes line for exactly this file, escaped as ``git lfs track`` does."""
    escaped = "".join("\\" + ch if ch in "*?[]\\#!" else ch for ch in path)
    return f"/{escaped.replace(' ', '[[:space:]]')} {LFS_ATTRIBUTES}"


def commit_uploads(
    module: Module, user: User, branch: str, uploads: dict[str, IO[bytes]], message: str
) -> UploadResult:
    """Commit uploaded files; those above ``LFS_UPLOAD_THRESHOLD`` or matching an LFS pattern
    of .gitattributes are stored as LFS objects (streamed from their temporary files) and
    committed as pointers, with .gitattributes extended so git clients smudge them back.

    ``uploads`` maps paths to files with a ``size`` (Django's uploaded files).
    """
    branch = branch or module.default_branch
    files_in = {validate_path(path): upload for path, upload in uploads.items()}
    attributes = _gitattributes(module, branch, files_in)
    patterns = LfsPatterns.from_gitattributes(attributes)
    threshold = settings.LFS_UPLOAD_THRESHOLD
    to_lfs = sorted(
        path
        for path, upload in files_in.items()
        if path != GITATTRIBUTES
        and ((threshold and upload.size > threshold) or patterns.matches(path))
    )
    regular = sum(upload.size for path, upload in files_in.items() if path not in to_lfs)
    if regular > settings.MAX_UPLOAD_SIZE:
        raise RepositoryError(
            f"The files kept in git add up to {regular} bytes; the limit is "
            f"{settings.MAX_UPLOAD_SIZE} bytes (files over {threshold} bytes go to Git LFS)."
        )
    quota.check(module.owner, regular)
    files: dict[str, bytes] = {}
    for path in to_lfs:
        upload = files_in[path]
        upload.seek(0)
        stored = store_object(module, upload, size=upload.size)
        files[path] = Pointer(stored.oid, stored.size).encode()
    untracked = [path for path in to_lfs if not patterns.matches(path)]
    if untracked:
        lines = "\n".join(_lfs_line(path) for path in untracked)
        separator = "" if not attributes or attributes.endswith("\n") else "\n"
        files[GITATTRIBUTES] = f"{attributes}{separator}{lines}\n".encode()
    for path, upload in files_in.items():
        if path not in files:
            files[path] = upload.read()
    sha = commit_files(module, user, branch, files, message)
    return UploadResult(sha=sha, lfs_paths=to_lfs)


INCOMING_MAX_AGE = 6 * 3600  # no push takes that long


def sweep_repositories(max_age: float = INCOMING_MAX_AGE) -> int:
    """Remove what interrupted pushes left in every repository (Celery beat, hourly)."""
    root = Path(settings.REPOSITORIES_DIR)
    return sum(Repository(path).sweep_incoming(max_age) for path in root.glob("*.git"))
