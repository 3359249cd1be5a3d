"""Run artifacts, web side: a run worker uploads each output file over HTTP into the store, and
``collect_garbage`` (``manage.py artifacts_gc``) frees the files no run names any more.

The store is content-addressed and shared by every run, so a file is freed only when no
artifact row names its digest (runs go with their module; a cached run names the same files
as the run it reuses). An upload stores the file first and writes its row just after: files
younger than the grace period are never collected, and the collector and the upload each check
again around their own last step, so a row never names a file that is gone.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

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

    store = artifact_store()
    try:
        blob = store.ingest(stream, digest or None, size, max_size=max(room, 0))
    except BlobError as error:
        raise ArtifactRefused(f"{clean}: {error}", 413 if "larger" in str(error) else 400) from None
    except ValueError as error:
        raise ArtifactRefused(str(error)) from None
    artifact, _ = Artifact.objects.update_or_create(
        run=run, path=clean, defaults={"size": blob.size, "digest": blob.digest}
    )
    if not store.exists(blob.digest):
        # The same bytes were stored long ago without a row and collected meanwhile: say so
        # rather than keep a row naming nothing.
        artifact.delete()
        raise ArtifactRefused(f"{clean}: stored while being collected; upload it again.", 409)
    return artifact


@dataclass
class CollectionReport:
    files: int = 0
    freed_bytes: int = 0
    incoming_freed_bytes: int = 0  # uploads abandoned half-way (a worker killed mid-upload)


def collect_garbage(grace_seconds: int, dry_run: bool = False) -> CollectionReport:
    """Delete stored files no artifact names, once older than ``grace_seconds``.

    Each is first moved aside, then the rows are checked again: named meanwhile (an upload of
    the same bytes finishing) or touched since the scan, it is moved back.
    """
    report = CollectionReport()
    store = artifact_store()
    horizon = time.time() - grace_seconds
    named = set(Artifact.objects.values_list("digest", flat=True))
    aside = store.root / "collecting"
    for digest, size, mtime in list(store.iter_digests()):
        if digest in named or mtime >= horizon:
            continue
        if dry_run:
            report.files += 1
            report.freed_bytes += size
            continue
        aside.mkdir(parents=True, exist_ok=True)
        held = aside / digest.removeprefix("sha256:")
        try:
            os.rename(store.path(digest), held)
        except FileNotFoundError:
            continue  # collected by another run of this command
        if held.stat().st_mtime >= horizon or Artifact.objects.filter(digest=digest).exists():
            _put_back(held, store.path(digest))
            continue
        held.unlink()
        report.files += 1
        report.freed_bytes += size
    if not dry_run:
        report.incoming_freed_bytes = store.sweep_incoming(grace_seconds)
    return report


def _put_back(held, target) -> None:
    if target.exists():  # stored again meanwhile: the same bytes
        held.unlink()
    else:
        os.rename(held, target)
