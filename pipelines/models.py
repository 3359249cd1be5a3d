"""Runs: one published module version executed on a dataset, with its log, metrics, artifacts.

A run is a state machine like a publication: queued -> preparing (fetch data, pull image) ->
running -> collecting -> succeeded, failed or cancelled. Everything that makes it reproducible is
recorded on the row: the exact dataset commit and input paths, the image digest, the parameter
values, the command line and the limits it ran under. Data pipelines (a list of steps) build on
the same row: a step is a run.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from publishing.models import JobState, LogLineBase


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    PREPARING = "preparing", "Preparing"
    RUNNING = "running", "Running"
    COLLECTING = "collecting", "Collecting"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (Status.QUEUED, Status.PREPARING, Status.RUNNING, Status.COLLECTING)
FINAL_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)


class FailureKind(models.TextChoices):
    USER = "user", "User"  # the script or its inputs: exit code, limits
    PLATFORM = "platform", "Platform"  # engine, registry, hub unreachable; worker died


def cache_key(image_digest: str, command: list[str], dataset_commit: str, paths: list[str]) -> str:
    """What makes two runs produce the same outputs: image, arguments and input content."""
    material = json.dumps(
        {"image": image_digest, "command": command, "commit": dataset_commit, "paths": paths},
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()


class Run(JobState, models.Model):
    active_statuses = ACTIVE_STATUSES
    final_statuses = FINAL_STATUSES

    kind = models.CharField(max_length=16, default="experiment")  # or "data-operation", …
    pipeline_run = models.ForeignKey(
        "PipelineRun", on_delete=models.CASCADE, null=True, blank=True, related_name="steps"
    )
    step = models.PositiveSmallIntegerField(null=True, blank=True)  # 1-based, in its pipeline
    module = models.ForeignKey("modules.Module", on_delete=models.CASCADE, related_name="runs")
    publication = models.ForeignKey(
        "publishing.Publication", on_delete=models.RESTRICT, related_name="runs"
    )
    dataset = models.ForeignKey(
        "modules.Module", on_delete=models.CASCADE, related_name="dataset_runs"
    )
    dataset_ref = models.CharField(max_length=255)
    dataset_commit = models.CharField(max_length=40)
    input_paths = models.JSONField(default=list, blank=True)
    image = models.CharField(max_length=500)  # repository@digest, what the worker pulls
    image_digest = models.CharField(max_length=100)
    parameters = models.JSONField(default=dict, blank=True)  # name -> value, defaults filled in
    command = models.JSONField(default=list, blank=True)  # arguments after the entry point
    cpu_limit = models.FloatField()
    memory_limit_mb = models.PositiveIntegerField()
    time_limit_seconds = models.PositiveIntegerField()
    queue = models.CharField(max_length=64)
    use_cache = models.BooleanField(default=True)
    cache_key = models.CharField(max_length=64, db_index=True)
    cached_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    failure_kind = models.CharField(max_length=16, choices=FailureKind.choices, blank=True)
    failure_reason = models.TextField(blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    container_name = models.CharField(max_length=100, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    log_bytes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["cache_key", "status"])]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.publication} on {self.dataset} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("run-detail", args=[self.pk])

    @property
    def resource(self) -> str:
        """What an internal credential names to upload this run's artifacts."""
        return f"run:{self.pk}"

    @property
    def cached(self) -> bool:
        return self.cached_from_id is not None

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        if self.finished_at:
            return self.finished_at - self.created_at
        return None

    def can_read(self, user) -> bool:
        return self.dataset.can_read(user) and self.module.can_read(user)

    @property
    def is_step(self) -> bool:
        return self.pipeline_run_id is not None

    def can_cancel(self, user) -> bool:
        if user is None or not user.is_authenticated:
            return False
        return user.pk == self.created_by_id or self.dataset.can_write(user)

    def is_stale(self, timeout: timedelta) -> bool:
        # Waiting for a worker is not a sign of death (a run has no queue timeout).
        return self.status != Status.QUEUED and super().is_stale(timeout)


class RunLogLine(LogLineBase):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="lines")

    class Meta(LogLineBase.Meta):
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="unique_run_line")]


class Metric(models.Model):
    """One value of one metric at one step (epoch), as MLflow's metric history."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="metrics")
    key = models.CharField(max_length=200)
    step = models.BigIntegerField()
    value = models.FloatField()
    time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key", "step"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key", "step"], name="unique_metric_step")
        ]

    def as_json(self) -> dict:
        return {"key": self.key, "step": self.step, "value": self.value, "time": self.time}


class Artifact(models.Model):
    """A file the run wrote to its output directory, kept in the artifact blob store."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="artifacts")
    path = models.CharField(max_length=1000)
    size = models.BigIntegerField()
    digest = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["run", "path"], name="unique_artifact")]


class PipelineKind(models.TextChoices):
    DATA_PIPELINE = "data-pipeline", "Data pipeline"
    VISUALIZATION = "visualization", "Visualization"


class PipelineRun(JobState, models.Model):
    """One run of a data pipeline (steps of Data Operations whose last output is committed to a
    new branch of the dataset) or of a visualization (one Data Visualization step whose outputs
    are shown). Each step is a ``Run`` with ``pipeline_run`` and ``step`` set; what makes the
    run reproducible (dataset commit, each step's image digest and parameters) is on the rows.
    """

    active_statuses = ACTIVE_STATUSES
    final_statuses = FINAL_STATUSES

    kind = models.CharField(
        max_length=16, choices=PipelineKind.choices, default=PipelineKind.DATA_PIPELINE
    )
    dataset = models.ForeignKey(
        "modules.Module", on_delete=models.CASCADE, related_name="pipeline_runs"
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    number = models.PositiveIntegerField()  # n-th run of this pipeline slug on the dataset
    saved = models.BooleanField(default=False)  # defined in .mlreef/pipelines/<slug>.yml
    definition_commit = models.CharField(max_length=40, blank=True)  # commit of that file
    dataset_ref = models.CharField(max_length=255)
    dataset_commit = models.CharField(max_length=40)
    input_paths = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    failure_kind = models.CharField(max_length=16, choices=FailureKind.choices, blank=True)
    failure_reason = models.TextField(blank=True)
    failed_step = models.PositiveSmallIntegerField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    branch = models.CharField(max_length=255, blank=True)
    result_commit = models.CharField(max_length=40, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "kind", "slug", "number"], name="unique_pipeline_run_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.slug}-{self.number} on {self.dataset} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("pipeline-run-detail", args=[self.pk])

    @property
    def resource(self) -> str:
        """What an internal credential names to finish this pipeline run (commit its output)."""
        return f"pipeline-run:{self.pk}"

    @property
    def is_visualization(self) -> bool:
        return self.kind == PipelineKind.VISUALIZATION

    @property
    def duration(self) -> timedelta | None:
        if self.finished_at:
            return self.finished_at - (self.started_at or self.created_at)
        return None

    @property
    def cached(self) -> bool:
        steps = list(self.steps.all())
        return bool(steps) and all(step.cached for step in steps)

    def can_read(self, user) -> bool:
        return self.dataset.can_read(user) and all(
            step.module.can_read(user) for step in self.steps.select_related("module__owner")
        )

    def can_cancel(self, user) -> bool:
        if user is None or not user.is_authenticated:
            return False
        return user.pk == self.created_by_id or self.dataset.can_write(user)
