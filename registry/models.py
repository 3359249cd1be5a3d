"""Rows of the built-in registry; the bytes themselves are in the blob store (see storage.py)."""

from __future__ import annotations

import uuid

from django.db import models


class Repository(models.Model):
    """The image repository of one module; it goes when the module goes (tags included)."""

    module = models.OneToOneField(
        "modules.Module", on_delete=models.CASCADE, related_name="image_repository"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "repositories"

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.module.full_name


class BlobLink(models.Model):
    """A blob this repository may serve: pushed to it, or mounted from another one."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="blobs")
    digest = models.CharField(max_length=150)  # sha512:<128 hex> is the longest
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "digest"], name="unique_blob_link")
        ]
        indexes = [models.Index(fields=["digest"])]


class Manifest(models.Model):
    """A manifest or index, its exact bytes stored as a blob under ``digest``."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="manifests")
    digest = models.CharField(max_length=150)  # sha512:<128 hex> is the longest
    media_type = models.CharField(max_length=255)
    size = models.BigIntegerField()
    artifact_type = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=150, blank=True, db_index=True)
    annotations = models.JSONField(null=True, blank=True)
    # Digests of the blobs and child manifests it names: what garbage collection keeps.
    references = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "digest"], name="unique_manifest")
        ]
        indexes = [models.Index(fields=["digest"])]

    def __str__(self) -> str:
        return f"{self.repository_id}@{self.digest}"

    def descriptor(self) -> dict:
        """The OCI descriptor that points at this manifest (referrers API)."""
        result: dict = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.artifact_type:
            result["artifactType"] = self.artifact_type
        if self.annotations:
            result["annotations"] = self.annotations
        return result


class Tag(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=128)
    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="tags")
    # A published version's tag: it never points anywhere else (``latest`` is not immutable).
    immutable = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["repository", "name"], name="unique_tag")]

    def __str__(self) -> str:
        return self.name


class UploadSession(models.Model):
    """An open blob upload: the bytes so far are a temporary file in the store's incoming/."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="uploads")
    temp_name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
