"""Run artifacts, web side: a run worker uploads each output file over HTTP into the store."""

from __future__ import annotations

from django.conf import settings

from modules.repository import RepositoryError, validate_path

from ..models import Artifact, Run, Status
from .common import artifact_store


class ArtifactRefused(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def store_artifact(run: Run, path: str, stream, size: int | None, digest: str | None) -> Artifact:
    """Stream one uploaded output file into the artifact store (worker -> hub over HTTP)."""
    if run.status != Status.COLLECTING:
        raise ArtifactRefused(f"Run {run.pk} is {run.status}, not collecting outputs.", 409)
    try:
        clean = validate_path(path)
    except RepositoryError as error:
        raise ArtifactRefused(f"Artifact path: {error}") from None
    used = sum(run.artifacts.exclude(path=clean).values_list("size", flat=True))
    room = settings.RUN_ARTIFACT_LIMIT - used
    from modules.blobstore import BlobError

    try:
        blob = artifact_store().ingest(stream, digest or None, size, max_size=max(room, 0))
    except BlobError as error:
        raise ArtifactRefused(f"{clean}: {error}", 413 if "larger" in str(error) else 400) from None
    except ValueError as error:
        raise ArtifactRefused(str(error)) from None
    artifact, _ = Artifact.objects.update_or_create(
        run=run, path=clean, defaults={"size": blob.size, "digest": blob.digest}
    )
    return artifact
