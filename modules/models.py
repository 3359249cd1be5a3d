"""AI modules: a row per module, each owning a bare git repository under DATA_DIR."""

from __future__ import annotations

import uuid
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import RESERVED_NAMES

from .repository import Repository

slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9._-]{0,63}$",
    "Use 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.",
)

# Besides the platform's top-level paths, names that would clash with module sub-pages or git.
RESERVED_SLUGS = RESERVED_NAMES | {"blob", "tree", "commits", "upload", "raw", "edit", "delete"}


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS or value.endswith(".git"):
        raise ValidationError(f"'{value}' is reserved; choose another name.")


class Kind(models.TextChoices):
    MODEL = "model", "Model"
    DATA_OPERATION = "data-operation", "Data Operation"
    DATA_VISUALIZATION = "data-visualization", "Data Visualization"
    DATASET = "dataset", "Dataset"


class DataType(models.TextChoices):
    IMAGE = "image", "Image"
    TEXT = "text", "Text"
    TABULAR = "tabular", "Tabular"
    AUDIO = "audio", "Audio"
    VIDEO = "video", "Video"
    TIME_SERIES = "time-series", "Time series"
    NUMBER = "number", "Number"
    BINARY = "binary", "Binary"
    ANY = "any", "Any"
    OTHER = "other", "Other"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private"


class Role(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"


def validate_data_types(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one data type.")
    unknown = sorted(set(map(str, value)) - set(DataType.values))
    if unknown:
        raise ValidationError(
            f"Unknown data type(s): {', '.join(unknown)}. Known: {', '.join(DataType.values)}."
        )


class ModuleQuerySet(models.QuerySet):
    def visible_to(self, user) -> ModuleQuerySet:
        if user is None or not user.is_authenticated:
            return self.filter(visibility=Visibility.PUBLIC)
        return self.filter(
            Q(visibility=Visibility.PUBLIC) | Q(owner=user) | Q(collaborators__user=user)
        ).distinct()


class Module(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="modules"
    )
    slug = models.CharField(max_length=64, validators=[slug_validator, validate_slug_not_reserved])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    data_types = models.JSONField(default=list, validators=[validate_data_types])
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    default_branch = models.CharField(max_length=255, default="master")
    storage_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    publish_on_push = models.BooleanField(
        default=False, help_text="Publish when a push to the publish branch carries mlreef.yml."
    )
    publish_branch = models.CharField(max_length=255, blank=True, default="master")
    allow_force_push = models.BooleanField(
        default=False,
        help_text="Let write collaborators delete or rewrite (force-push) the default branch.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ModuleQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "slug"], name="unique_slug_per_namespace")
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def namespace(self) -> str:
        return self.owner.username

    @property
    def full_name(self) -> str:
        return f"{self.namespace}/{self.slug}"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @property
    def is_dataset(self) -> bool:
        """Datasets share everything with modules (git, LFS, pages, API) but are not published."""
        return self.kind == Kind.DATASET

    @property
    def data_type_labels(self) -> list[str]:
        labels = dict(DataType.choices)
        return [labels.get(value, value) for value in self.data_types]

    @property
    def is_publishable(self) -> bool:
        return not self.is_dataset

    @property
    def repository_path(self) -> Path:
        # Keyed by a random id, so renames never move anything on disk and a reused primary
        # key (after a database reset) never meets an old repository.
        return Path(settings.REPOSITORIES_DIR) / f"{self.storage_key}.git"

    @cached_property
    def repository(self) -> Repository:
        return Repository(self.repository_path)

    @property
    def head_branch(self) -> str:
        """The branch pages and the API show by default: the default branch, or an existing
        one while the default branch does not exist."""
        return self.repository.existing_branch(self.default_branch)

    @property
    def credential_resource(self) -> str:
        """What an internal credential names to reach this repository (git and LFS)."""
        return f"repo:{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("module-detail", args=[self.namespace, self.slug])

    def clone_path(self) -> str:
        return f"/{self.namespace}/{self.slug}.git"

    # Access rules: read < write < admin. Owners hold all; collaborators hold their role.
    def role_of(self, user) -> str | None:
        if user is None or not user.is_authenticated:
            return None
        if user.pk == self.owner_id or user.is_superuser:
            return "admin"
        collaborator = self.collaborators.filter(user=user).first()
        return collaborator.role if collaborator else None

    def can_read(self, user) -> bool:
        return self.is_public or self.role_of(user) is not None

    def can_write(self, user) -> bool:
        return self.role_of(user) in ("write", "admin")

    def can_admin(self, user) -> bool:
        return self.role_of(user) == "admin"


class Collaborator(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="collaborators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collaborations"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.READ)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["module", "user"], name="unique_collaborator")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) on {self.module}"


class ModuleRedirect(models.Model):
    """An old namespace/slug kept after a rename so bookmarks and remotes keep working."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="redirects")
    namespace = models.CharField(max_length=39)
    slug = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["namespace", "slug"], name="unique_redirect")
        ]


class LfsObject(models.Model):
    """One Git LFS object in the blob store, shared by every repository that references it."""

    oid = models.CharField(max_length=64, unique=True)  # sha256 hex, as git-lfs names it
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.oid[:12]} ({self.size} bytes)"

    @property
    def digest(self) -> str:
        return f"sha256:{self.oid}"


class LfsReference(models.Model):
    """A repository may serve this object: it uploaded the bytes or its history names them.

    Rows make downloads safe (knowing an oid is not enough to read another repository's
    object), count towards the namespace's quota, and tell ``lfs_gc`` what is still in use.
    """

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lfs_references")
    lfs_object = models.ForeignKey(LfsObject, on_delete=models.PROTECT, related_name="references")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["module", "lfs_object"], name="unique_lfs_reference")
        ]


class LfsLock(models.Model):
    """A file locked through the Git LFS locks API (``git lfs lock``)."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lfs_locks")
    path = models.CharField(max_length=1000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lfs_locks"
    )
    locked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["locked_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["module", "path"], name="unique_lfs_lock")]
