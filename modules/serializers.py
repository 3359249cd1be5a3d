from __future__ import annotations

import base64
import binascii

from django.conf import settings
from rest_framework import serializers

from .models import DataType, Kind, Module, Role, Visibility


class ModuleSerializer(serializers.Serializer):
    """Shape of a module in the API; validation of names and uniqueness lives in the service."""

    namespace = serializers.CharField(read_only=True)
    slug = serializers.CharField(max_length=64, required=False)
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Kind.choices)
    data_types = serializers.ListField(
        child=serializers.ChoiceField(choices=DataType.choices), allow_empty=False
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)
    default_branch = serializers.CharField(max_length=255, required=False)
    publish_on_push = serializers.BooleanField(required=False)
    publish_branch = serializers.CharField(max_length=255, required=False, allow_blank=True)
    clone_url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        base = settings.PUBLIC_URL or (
            request.build_absolute_uri("/").rstrip("/") if request else ""
        )
        return f"{base}{path}"

    def get_clone_url(self, module: Module) -> str:
        return self._absolute(module.clone_path())

    def get_web_url(self, module: Module) -> str:
        return self._absolute(module.get_absolute_url())


class CollaboratorSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username", max_length=39)
    role = serializers.ChoiceField(choices=Role.choices)


class BranchSerializer(serializers.Serializer):
    name = serializers.CharField()
    commit = serializers.CharField(source="commit.sha")
    is_default = serializers.BooleanField()


class CommitSerializer(serializers.Serializer):
    sha = serializers.CharField()
    message = serializers.CharField()
    author_name = serializers.CharField()
    author_email = serializers.CharField()
    authored_at = serializers.DateTimeField()
    parents = serializers.ListField(child=serializers.CharField())


class TreeEntrySerializer(serializers.Serializer):
    name = serializers.CharField()
    path = serializers.CharField()
    type = serializers.ChoiceField(choices=["tree", "blob"])
    size = serializers.IntegerField(allow_null=True, help_text="For LFS files, the object's size")
    mode = serializers.CharField()
    lfs = serializers.BooleanField(help_text="Stored in Git LFS (git holds a pointer)")


class FileChangeSerializer(serializers.Serializer):
    path = serializers.CharField(max_length=1000)
    content = serializers.CharField(allow_blank=True, trim_whitespace=False)
    encoding = serializers.ChoiceField(choices=["utf-8", "base64"], default="utf-8")

    def validate(self, attrs):
        if attrs["encoding"] == "base64":
            try:
                attrs["data"] = base64.b64decode(attrs["content"], validate=True)
            except (binascii.Error, ValueError):
                raise serializers.ValidationError({"content": "Not valid base64."}) from None
        else:
            attrs["data"] = attrs["content"].encode()
        return attrs


class CommitFilesSerializer(serializers.Serializer):
    branch = serializers.CharField(max_length=255, required=False)
    message = serializers.CharField(max_length=10_000)
    files = FileChangeSerializer(many=True, allow_empty=False)
