"""Publications: numbered, immutable builds of a module into a container image."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class BaseEnvironment(models.Model):
    """An image modules are built on (Python version, CPU or GPU), chosen in the wizard."""

    class Accelerator(models.TextChoices):
        CPU = "cpu", "CPU"
        GPU = "gpu", "GPU"

    name = models.SlugField(max_length=64, unique=True)
    image = models.CharField(max_length=255, help_text="Image reference, e.g. mlreef/python:3.11")
    python_version = models.CharField(max_length=16)
    accelerator = models.CharField(
        max_length=8, choices=Accelerator.choices, default=Accelerator.CPU
    )
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.image})"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    CLONING = "cloning", "Cloning"
    PARSING = "parsing", "Parsing"
    BUILDING = "building", "Building"
    PUSHING = "pushing", "Pushing"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (Status.QUEUED, Status.CLONING, Status.PARSING, Status.BUILDING, Status.PUSHING)
FINAL_STATUSES = (Status.PUBLISHED, Status.FAILED, Status.CANCELLED)


class JobState:
    """What every job row answers about its state: a publication here, runs in pipelines.

    The row's class names its active and final statuses (every job has queued, failed and
    cancelled among them). A job run by a worker records ``heartbeat_at`` as it goes, so one
    whose worker died is told apart from one still working (``is_stale``); ``publishing.jobs``
    moves jobs through their states.
    """

    active_statuses: tuple[str, ...] = ()
    final_statuses: tuple[str, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.status in self.active_statuses

    @property
    def is_final(self) -> bool:
        return self.status in self.final_statuses

    def is_stale(self, timeout: timedelta) -> bool:
        """Active but silent for longer than ``timeout``: its worker is gone."""
        last_sign = self.heartbeat_at or self.started_at or self.created_at
        return self.is_active and timezone.now() - last_sign > timeout


# Names of the builders shipped with the hub, as users know them; others are spelled out from
# their class name.
BUILDER_LABELS = {
    "DaemonlessBuilder": "daemonless (no Docker engine)",
    "DockerBuilder": "Docker engine",
    "FakeBuilder": "test builder",
}


class Publication(JobState, models.Model):
    active_statuses = ACTIVE_STATUSES
    final_statuses = FINAL_STATUSES

    module = models.ForeignKey(
        "modules.Module", on_delete=models.CASCADE, related_name="publications"
    )
    version = models.PositiveIntegerField()
    branch = models.CharField(max_length=255, blank=True)
    commit_sha = models.CharField(max_length=40)
    entrypoint = models.CharField(max_length=1000)
    inference_entrypoint = models.CharField(max_length=1000, blank=True)
    parameters_file = models.CharField(max_length=1000, blank=True)
    requirements_path = models.CharField(max_length=1000, default="requirements.txt")
    # What the wizard chose: {"<flag or name>": visible?}, applied to the parsed parameters.
    parameter_visibility = models.JSONField(default=dict, blank=True)
    parameters = models.JSONField(default=list, blank=True)
    base_environment = models.ForeignKey(BaseEnvironment, on_delete=models.PROTECT)
    builder = models.CharField(max_length=64)
    # Where the hub was reached when the version was started: PUBLIC_URL, or the request's host.
    hub_url = models.CharField(max_length=500, blank=True)
    image_reference = models.CharField(max_length=500, blank=True)
    image_digest = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.TextField(blank=True)
    failure_kind = models.CharField(max_length=16, blank=True)  # "user" or "platform"
    cancel_requested = models.BooleanField(default=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    task_id = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # last time its message was sent
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    log_bytes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["module", "version"], name="unique_version_per_module")
        ]

    def __str__(self) -> str:
        return f"{self.module} v{self.version} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse(
            "publication-detail", args=[self.module.namespace, self.module.slug, self.version]
        )

    @property
    def duration(self) -> timedelta | None:
        """How long the build ran (so far, while it runs); None before it started."""
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def builder_label(self) -> str:
        """The builder in words: "DockerBuilder" -> "Docker engine"."""
        words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", self.builder.removesuffix("Builder"))
        return BUILDER_LABELS.get(self.builder) or f"{words or self.builder} builder"


class LogLineBase(models.Model):
    """One timestamped line of a job's log; ``number`` is the SSE event id.

    Concrete line models add a foreign key to their job (``related_name="lines"``) and a
    unique constraint on (job, number); ``publishing.logs.LiveLog`` writes them.
    """

    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    step = models.CharField(max_length=16)
    text = models.TextField()

    class Meta:
        abstract = True
        ordering = ["number"]

    def as_json(self) -> dict:
        return {
            "number": self.number,
            "time": self.created_at.isoformat(),
            "step": self.step,
            "text": self.text,
        }


class LogLine(LogLineBase):
    """A line of a publication's log."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="lines")

    class Meta(LogLineBase.Meta):
        constraints = [
            models.UniqueConstraint(fields=["publication", "number"], name="unique_log_line")
        ]


class VersionCounter(models.Model):
    """The last version number handed out for a namespace/name. It outlives the module, so a
    module deleted and created again under the same name never reuses a number (and never
    overwrites the old image tags in an external registry)."""

    namespace = models.CharField(max_length=39)
    slug = models.CharField(max_length=64)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["namespace", "slug"], name="unique_version_counter")
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.slug}: {self.last}"
