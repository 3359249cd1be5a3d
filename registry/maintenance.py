"""Keeping the registry's disk in check: garbage collection, expired uploads, usage figures."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from .models import BlobLink, Manifest, UploadSession
from .storage import blob_store


@dataclass
class CollectionReport:
    blobs_removed: int = 0
    bytes_freed: int = 0
    uploads_expired: int = 0
    upload_bytes_freed: int = 0


def referenced_digests() -> set[str]:
    """Every manifest and everything a manifest names, in any repository."""
    live: set[str] = set()
    for digest, references in Manifest.objects.values_list("digest", "references"):
        live.add(digest)
        live.update(references or [])
    return live


def expire_uploads(older_than: timedelta) -> tuple[int, int]:
    """Drop upload sessions untouched for ``older_than`` (a client that went away)."""
    cutoff = timezone.now() - older_than
    store = blob_store()
    count = freed = 0
    for session in UploadSession.objects.filter(updated_at__lt=cutoff):
        path = store.incoming / session.temp_name
        try:
            freed += path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            pass
        session.delete()
        count += 1
    # Temporary files of monolithic uploads whose request died, and of forgotten sessions.
    open_sessions = set(UploadSession.objects.values_list("temp_name", flat=True))
    if store.incoming.is_dir():
        horizon = time.time() - older_than.total_seconds()
        for entry in store.incoming.iterdir():
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            if entry.name not in open_sessions and stat.st_mtime < horizon:
                entry.unlink(missing_ok=True)
                freed += stat.st_size
    return count, freed


def collect_garbage(grace: timedelta, dry_run: bool = False) -> CollectionReport:
    """Remove blobs no manifest names and older than ``grace`` (uploads in flight are newer).

    A blob pushed but not yet named by a manifest (a build between its layer uploads and its
    manifest) is younger than the grace period, so it stays.
    """
    report = CollectionReport()
    live = referenced_digests()
    horizon = time.time() - grace.total_seconds()
    store = blob_store()
    for digest, size, mtime in list(store.iter_digests()):
        if digest in live or mtime >= horizon:
            continue
        # Re-check against a manifest written since the scan began.
        if Manifest.objects.filter(digest=digest).exists() or _named_since(digest):
            continue
        report.blobs_removed += 1
        report.bytes_freed += size
        if not dry_run:
            BlobLink.objects.filter(digest=digest).delete()
            store.delete(digest)
    if not dry_run:
        report.uploads_expired, report.upload_bytes_freed = expire_uploads(grace)
    return report


def _named_since(digest: str) -> bool:
    recent = timezone.now() - timedelta(minutes=10)
    return any(
        digest in (references or [])
        for references in Manifest.objects.filter(created_at__gte=recent).values_list(
            "references", flat=True
        )
    )


def namespace_usage(namespace: str) -> int:
    """Bytes the namespace's images take: each distinct blob and manifest counted once."""
    blobs = (
        BlobLink.objects.filter(repository__module__owner__username=namespace)
        .values("digest", "size")
        .distinct()
    )
    manifests = (
        Manifest.objects.filter(repository__module__owner__username=namespace)
        .values("digest", "size")
        .distinct()
    )
    sizes = {row["digest"]: row["size"] for row in blobs}
    sizes.update({row["digest"]: row["size"] for row in manifests})
    return sum(sizes.values())


def usage_by_namespace() -> dict[str, int]:
    totals = (
        BlobLink.objects.values("repository__module__owner__username")
        .annotate(total=Sum("size"))
        .order_by()
    )
    names = [row["repository__module__owner__username"] for row in totals]
    return {name: namespace_usage(name) for name in names}
