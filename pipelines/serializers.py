from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Artifact, Metric, PipelineRun, Run, RunLogLine


class RunSerializer(serializers.ModelSerializer):
    module = serializers.CharField(source="module.full_name")
    version = serializers.IntegerField(source="publication.version")
    dataset = serializers.CharField(source="dataset.full_name")
    created_by = serializers.CharField(source="created_by.username", default=None)
    cached = serializers.BooleanField()
    cached_from = serializers.IntegerField(source="cached_from_id", allow_null=True)
    duration_seconds = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Run
        fields = [
            "id",
            "kind",
            "status",
            "failure_kind",
            "failure_reason",
            "exit_code",
            "module",
            "version",
            "dataset",
            "dataset_ref",
            "dataset_commit",
            "input_paths",
            "image",
            "image_digest",
            "parameters",
            "command",
            "cpu_limit",
            "memory_limit_mb",
            "time_limit_seconds",
            "queue",
            "use_cache",
            "cached",
            "cached_from",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "url",
        ]

    def get_duration_seconds(self, run: Run) -> float | None:
        return run.duration.total_seconds() if run.duration else None


class StartRunSerializer(serializers.Serializer):
    dataset = serializers.CharField(help_text="namespace/slug of a dataset")
    ref = serializers.CharField(required=False, allow_blank=True, default="")
    input_paths = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    module = serializers.CharField(help_text="namespace/slug of a Model module")
    version = serializers.IntegerField(min_value=1, help_text="A published version")
    parameters = serializers.DictField(required=False, default=dict)
    cpu_limit = serializers.FloatField(required=False, allow_null=True, default=None)
    memory_limit_mb = serializers.IntegerField(required=False, allow_null=True, default=None)
    time_limit_seconds = serializers.IntegerField(required=False, allow_null=True, default=None)
    use_cache = serializers.BooleanField(required=False, default=True)


class RunAgainSerializer(serializers.Serializer):
    use_cache = serializers.BooleanField(required=False, default=True)


class RunLogLineSerializer(serializers.ModelSerializer):
    time = serializers.DateTimeField(source="created_at")

    class Meta:
        model = RunLogLine
        fields = ["number", "time", "step", "text"]


class MetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = Metric
        fields = ["key", "step", "value", "time"]


class MetricSummarySerializer(serializers.Serializer):
    key = serializers.CharField()
    final = serializers.FloatField()
    best = serializers.FloatField()
    steps = serializers.IntegerField()


class ArtifactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Artifact
        fields = ["path", "size", "digest"]


class StepSerializer(serializers.Serializer):
    module = serializers.CharField(help_text="namespace/slug of a published Data Operation")
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Default: the latest published"
    )
    parameters = serializers.DictField(required=False, default=dict)


class PipelineDocumentSerializer(serializers.Serializer):
    """The document saved as .mlreef/pipelines/<name>.yml (also accepted as YAML)."""

    name = serializers.CharField()
    ref = serializers.CharField(required=False, allow_blank=True, default="")
    inputs = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    steps = StepSerializer(many=True)


class SavedPipelineSerializer(PipelineDocumentSerializer):
    slug = serializers.CharField(read_only=True)
    path = serializers.CharField(read_only=True)
    commit = serializers.CharField(read_only=True)


class StartPipelineSerializer(PipelineDocumentSerializer):
    dataset = serializers.CharField(help_text="namespace/slug of a dataset")
    name = serializers.CharField(required=False, default="pipeline")
    use_cache = serializers.BooleanField(required=False, default=True)


class StartVisualizationSerializer(serializers.Serializer):
    dataset = serializers.CharField(help_text="namespace/slug of a dataset")
    ref = serializers.CharField(required=False, allow_blank=True, default="")
    inputs = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    module = serializers.CharField(help_text="namespace/slug of a published Data Visualization")
    version = serializers.IntegerField(required=False, allow_null=True, default=None)
    parameters = serializers.DictField(required=False, default=dict)
    use_cache = serializers.BooleanField(required=False, default=True)


class PipelineStepSerializer(RunSerializer):
    step = serializers.IntegerField()
    log_url = serializers.SerializerMethodField()
    artifacts_url = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = ["step", *RunSerializer.Meta.fields, "log_url", "artifacts_url"]

    def get_log_url(self, run: Run) -> str:
        return f"/api/v1/runs/{run.pk}/log/"

    def get_artifacts_url(self, run: Run) -> str:
        return f"/api/v1/runs/{run.pk}/artifacts/"


class PipelineRunSerializer(serializers.ModelSerializer):
    dataset = serializers.CharField(source="dataset.full_name")
    created_by = serializers.CharField(source="created_by.username", default=None)
    cached = serializers.BooleanField()
    duration_seconds = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url")
    steps = serializers.SerializerMethodField()

    class Meta:
        model = PipelineRun
        fields = [
            "id",
            "kind",
            "name",
            "slug",
            "number",
            "status",
            "failure_kind",
            "failure_reason",
            "failed_step",
            "dataset",
            "dataset_ref",
            "dataset_commit",
            "input_paths",
            "saved",
            "definition_commit",
            "branch",
            "result_commit",
            "cached",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "url",
            "steps",
        ]

    def get_duration_seconds(self, run: PipelineRun) -> float | None:
        return run.duration.total_seconds() if run.duration else None

    @extend_schema_field(PipelineStepSerializer(many=True))
    def get_steps(self, run: PipelineRun) -> list:
        steps = run.steps.select_related(
            "module__owner", "dataset__owner", "publication", "created_by"
        ).order_by("step")
        return PipelineStepSerializer(steps, many=True).data
