"""The registry's blob store: its own root under DATA_DIR, so its garbage collector only ever
sees registry objects (LFS objects and artifacts have their own roots)."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from modules.blobstore import BlobStore


@cache
def _store(root: str) -> BlobStore:
    return BlobStore(root)


def blob_store() -> BlobStore:
    return _store(str(settings.DATA_DIR / "registry"))
