"""LFS objects on disk (one shared ``BlobStore``) and the rows that say who references them.

A repository may download an object only when it references it. A reference is made by
uploading the bytes to that repository (the hash is checked while they stream to disk), so
knowing an oid never opens another repository's object; the bytes are still stored once.
"""

from __future__ import annotations

import os
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction

from .. import quota
from ..blobstore import BlobError, BlobStore, SizeLimitExceeded
from ..models import LfsObject, LfsReference, Module


def lfs_store() -> BlobStore:
    return BlobStore(settings.LFS_DIR)


def referenced(module: Module, oid: str) -> LfsObject | None:
    """The object when ``module`` references it and its bytes are on disk."""
    obj = LfsObject.objects.filter(oid=oid, references__module=module).first()
    if obj is None or not lfs_store().exists(obj.oid):
        return None
    return obj


def referenced_oids(module: Module, oids: list[str]) -> set[str]:
    return set(
        LfsObject.objects.filter(oid__in=oids, references__module=module).values_list(
            "oid", flat=True
        )
    )


def add_reference(module: Module, oid: str, size: int) -> LfsObject:
    """Record that ``module`` references the stored object (idempotent, safe under races)."""
    # A fresh mtime keeps lfs_gc away from an object that just found a new user.
    try:
        os.utime(lfs_store().path(oid))
    except FileNotFoundError:
        raise BlobError("The object vanished while it was stored; upload it again.") from None
    try:
        with transaction.atomic():
            obj, _ = LfsObject.objects.get_or_create(oid=oid, defaults={"size": size})
    except IntegrityError:
        obj = LfsObject.objects.get(oid=oid)
    try:
        with transaction.atomic():
            LfsReference.objects.get_or_create(module=module, lfs_object=obj)
    except IntegrityError:
        pass
    return obj


def store_object(
    module: Module, source: IO[bytes], oid: str | None = None, size: int | None = None
) -> LfsObject:
    """Stream ``source`` into the store, checking the declared oid/size, then reference it.

    Raises ``BlobError`` (nothing stored) on a mismatch and ``QuotaExceeded`` when the bytes
    would take the namespace past its limit.
    """
    limit = None
    if settings.STORAGE_QUOTA and not (oid and quota.namespace_references(module.owner, oid)):
        if size is not None:
            quota.check(module.owner, size)
        limit = quota.usage(module.owner).remaining
    try:
        blob = lfs_store().ingest(
            source,
            expected_digest=oid,
            expected_size=size,
            max_size=limit,
        )
    except SizeLimitExceeded:
        raise quota.QuotaExceeded(
            f"Storage quota exceeded: namespace '{module.namespace}' has "
            f"{quota.human_size(limit)} left."
        ) from None
    return add_reference(module, blob.digest.removeprefix("sha256:"), blob.size)


__all__ = [
    "BlobError",
    "add_reference",
    "lfs_store",
    "referenced",
    "referenced_oids",
    "store_object",
]
