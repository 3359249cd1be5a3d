"""Garbage collection of LFS objects (``manage.py lfs_gc``); see the command for the rules."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import LfsObject, LfsReference, Module
from .objects import lfs_store


@dataclass
class Report:
    references: int = 0
    objects: int = 0
    freed_bytes: int = 0


def _drop_stale_references(cutoff, dry_run: bool, report: Report) -> None:
    for module in Module.objects.filter(lfs_references__created_at__lt=cutoff).distinct():
        named = module.repository.lfs_pointers()
        stale = LfsReference.objects.filter(module=module, created_at__lt=cutoff).exclude(
            lfs_object__oid__in=list(named)
        )
        report.references += stale.count()
        if not dry_run:
            stale.delete()


def collect_garbage(grace_seconds: int, dry_run: bool = False) -> Report:
    report = Report()
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    oldest_mtime = time.time() - grace_seconds
    store = lfs_store()
    _drop_stale_references(cutoff, dry_run, report)

    for obj in LfsObject.objects.filter(references__isnull=True, created_at__lt=cutoff):
        path = store.path(obj.oid)
        if path.exists() and path.stat().st_mtime >= oldest_mtime:
            continue  # just uploaded again: a reference is on its way
        report.objects += 1
        if dry_run:
            report.freed_bytes += obj.size
            continue
        with transaction.atomic():
            # Re-checked under the delete, so a reference made meanwhile keeps the object.
            deleted, _ = LfsObject.objects.filter(pk=obj.pk, references__isnull=True).delete()
            if deleted:
                report.freed_bytes += store.delete(obj.oid)

    # Files with no row at all: a crash between storing and recording, or rows wiped.
    known = set(LfsObject.objects.values_list("oid", flat=True))
    for digest, size, mtime in list(store.iter_digests()):
        oid = digest.removeprefix("sha256:")
        if oid not in known and mtime < oldest_mtime:
            report.objects += 1
            report.freed_bytes += size if dry_run else store.delete(digest)
    if not dry_run:
        report.freed_bytes += store.sweep_incoming(grace_seconds)
    return report
