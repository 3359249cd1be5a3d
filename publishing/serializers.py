from __future__ import annotations

from rest_framework import serializers

from .models import BaseEnvironment, LogLine, Publication


class BaseEnvironmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = BaseEnvironment
        fields = ("name", "image", "python_version", "accelerator", "description")


class PublicationSerializer(serializers.ModelSerializer):
    base_environment = serializers.CharField(source="base_environment.name")
    published_by = serializers.CharField(source="published_by.username", default=None)
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Publication
        fields = (
            "id",
            "version",
            "status",
            "branch",
            "commit_sha",
            "entrypoint",
            "inference_entrypoint",
            "parameters_file",
            "requirements_path",
            "parameters",
            "base_environment",
            "builder",
            "image_reference",
            "image_digest",
            "failure_reason",
            "failure_kind",
            "published_by",
            "created_at",
            "started_at",
            "finished_at",
            "url",
        )
        read_only_fields = fields


class StartPublicationSerializer(serializers.Serializer):
    ref = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Branch or commit; the default branch if empty",
    )
    entrypoint = serializers.CharField(max_length=1000)
    inference_entrypoint = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )
    parameters_file = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )
    requirements_path = serializers.CharField(max_length=1000, default="requirements.txt")
    base_environment = serializers.CharField(max_length=64)
    hidden_parameters = serializers.ListField(
        child=serializers.CharField(), default=list, help_text="Parameter names not shown to users"
    )


class LogLineSerializer(serializers.ModelSerializer):
    time = serializers.DateTimeField(source="created_at")

    class Meta:
        model = LogLine
        fields = ("number", "time", "step", "text")
