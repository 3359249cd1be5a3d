"""LFS objects, references, pointers, quotas and lfs_gc, without a server."""

from __future__ import annotations

import hashlib
import io
import os
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from modules import quota
from modules.blobstore import DigestMismatch
from modules.lfs.objects import lfs_store, store_object
from modules.lfs.pointers import LfsPatterns, Pointer, parse_pointer
from modules.models import LfsObject, LfsReference

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_lfs_dir(settings, tmp_path):
    """Each test sees only its own objects (rows roll back; files would not)."""
    settings.LFS_DIR = tmp_path / "lfs"


def pointer_for(data: bytes) -> bytes:
    return Pointer(hashlib.sha256(data).hexdigest(), len(data)).encode()


def test_pointers_round_trip_and_ordinary_files_are_not_pointers():
    data = b"hello"
    parsed = parse_pointer(pointer_for(data))
    assert parsed == Pointer(hashlib.sha256(data).hexdigest(), 5)
    assert parse_pointer(b"version 1\n") is None
    assert parse_pointer(pointer_for(data) + b"x" * 2000) is None
    assert parse_pointer(pointer_for(data).replace(b"sha256:", b"sha1:")) is None


def test_gitattributes_patterns_follow_git_rules():
    patterns = LfsPatterns.from_gitattributes(
        "# comment\n*.csv filter=lfs diff=lfs merge=lfs -text\n/top.bin filter=lfs\n*.md text\n"
    )
    assert patterns.matches("a.csv") and patterns.matches("deep/er/a.csv")
    assert patterns.matches("top.bin") and not patterns.matches("sub/top.bin")
    assert not patterns.matches("README.md")
    assert not LfsPatterns.from_gitattributes("").matches("a.csv")


def test_objects_are_stored_once_and_referenced_per_repository(public_module, private_module):
    data = os.urandom(5000)
    oid = hashlib.sha256(data).hexdigest()
    store_object(public_module, io.BytesIO(data), oid=oid, size=len(data))
    store_object(private_module, io.BytesIO(data), oid=oid, size=len(data))
    assert LfsObject.objects.count() == 1 and LfsReference.objects.count() == 2
    assert lfs_store().path(oid).read_bytes() == data
    with pytest.raises(DigestMismatch):
        store_object(public_module, io.BytesIO(b"other"), oid="0" * 64, size=5)
    assert LfsObject.objects.count() == 1


def test_quota_counts_git_and_distinct_lfs_bytes_and_refuses_past_the_limit(
    settings, public_module, private_module, people
):
    data = os.urandom(4000)
    oid = hashlib.sha256(data).hexdigest()
    store_object(public_module, io.BytesIO(data), oid=oid, size=len(data))
    store_object(private_module, io.BytesIO(data), oid=oid, size=len(data))
    used = quota.usage(people.owner)
    assert used.lfs_bytes == 4000 and used.git_bytes > 0 and used.limit == 0
    settings.STORAGE_QUOTA = used.total + 1000
    with pytest.raises(quota.QuotaExceeded, match="Storage quota exceeded: namespace 'olivia'"):
        store_object(public_module, io.BytesIO(os.urandom(2000)))
    # the same object again costs nothing
    store_object(public_module, io.BytesIO(data), oid=oid, size=len(data))
    assert LfsObject.objects.count() == 1
    assert list(lfs_store().incoming.glob("*")) == []


def test_lfs_gc_keeps_what_history_names_and_deletes_the_rest_after_the_grace_period(
    public_module,
):
    kept, dropped = os.urandom(3000), os.urandom(3000)
    for data in (kept, dropped):
        store_object(public_module, io.BytesIO(data))
    public_module.repository.commit_files(
        "master", {"kept.bin": pointer_for(kept)}, "Add data", "O", "o@example.com"
    )
    call_command("lfs_gc", stdout=io.StringIO())  # everything is inside the grace period
    assert LfsObject.objects.count() == 2

    past = timezone.now() - timedelta(days=2)
    LfsReference.objects.update(created_at=past)
    LfsObject.objects.update(created_at=past)
    for digest, _size, _mtime in lfs_store().iter_digests():
        old = time.time() - 2 * 86400
        os.utime(lfs_store().path(digest), (old, old))
    out = io.StringIO()
    call_command("lfs_gc", stdout=out)
    assert "1 stale reference(s) and 1 object(s)" in out.getvalue()
    assert list(LfsObject.objects.values_list("oid", flat=True)) == [
        hashlib.sha256(kept).hexdigest()
    ]
    assert not lfs_store().exists(hashlib.sha256(dropped).hexdigest())
    assert lfs_store().exists(hashlib.sha256(kept).hexdigest())
