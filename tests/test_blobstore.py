"""The content-addressed store behind registry blobs, LFS objects and artifacts."""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path

import pytest

from modules.blobstore import (
    BlobStore,
    DigestMismatch,
    SizeLimitExceeded,
    SizeMismatch,
    parse_digest,
)


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_it_stores_by_digest_and_deduplicates(tmp_path):
    store = BlobStore(tmp_path)
    data = b"layer" * 1000
    first = store.ingest(io.BytesIO(data), expected_digest=digest_of(data))
    second = store.ingest(io.BytesIO(data))
    assert first == second and first.size == len(data)
    assert store.path(first.digest).relative_to(tmp_path).parts[:2] == (
        "sha256",
        first.digest[7:9],
    )
    assert b"".join(store.iter_range(first.digest)) == data
    assert b"".join(store.iter_range(first.digest, 5, 9)) == data[5:10]
    assert list(store.iter_digests()) and not list(store.incoming.iterdir())


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"expected_digest": "sha256:" + "0" * 64}, DigestMismatch),
        ({"expected_size": 3}, SizeMismatch),
        ({"max_size": 10}, SizeLimitExceeded),
    ],
)
def test_it_refuses_wrong_content_and_leaves_nothing_behind(tmp_path, kwargs, error):
    store = BlobStore(tmp_path)
    with pytest.raises(error):
        store.ingest(io.BytesIO(b"x" * 100), **kwargs)
    assert not list(store.iter_digests())
    assert not list(store.incoming.iterdir())


def test_it_refuses_malformed_digests(tmp_path):
    store = BlobStore(tmp_path)
    for bad in ("sha256:../../etc/passwd", "md5:" + "0" * 32, "sha256:" + "A" * 64):
        with pytest.raises(ValueError):
            store.path(bad)
        assert not store.exists(bad)


def test_it_sweeps_abandoned_uploads_and_deletes(tmp_path):
    store = BlobStore(tmp_path)
    with store.temporary_file() as handle:
        handle.write(b"half")
    old = time.time() - 3600
    os.utime(handle.name, (old, old))
    assert store.sweep_incoming(older_than_seconds=60) == 4
    blob = store.ingest(io.BytesIO(b"keep"))
    assert store.delete(blob.digest) == 4 and not store.exists(blob.digest)


def test_sha512_objects_live_beside_sha256_ones(tmp_path):
    """OCI content may be named by sha512: hashed with it, stored under sha512/, swept too;
    ``parse_digest`` (LFS object ids) still takes sha256 only."""
    store = BlobStore(tmp_path)
    data = os.urandom(5000)
    expected = "sha512:" + hashlib.sha512(data).hexdigest()
    stored = store.ingest(io.BytesIO(data), expected_digest=expected)
    assert stored.digest == expected and store.path(expected).read_bytes() == data
    assert store.path(expected).relative_to(tmp_path).parts[0] == "sha512"
    with store.temporary_file() as handle:
        handle.write(data[::-1])
    adopted = store.adopt(
        Path(handle.name), expected_digest="sha512:" + hashlib.sha512(data[::-1]).hexdigest()
    )
    assert store.exists(adopted.digest)
    with pytest.raises(DigestMismatch):
        store.ingest(io.BytesIO(b"x"), expected_digest="sha512:" + "0" * 128)
    assert {digest for digest, _, _ in store.iter_digests()} == {expected, adopted.digest}
    with pytest.raises(ValueError):
        parse_digest(expected)


def test_storing_known_bytes_again_makes_the_object_young(tmp_path):
    """Collectors keep files younger than their grace period; a re-upload must reset the age."""
    store = BlobStore(tmp_path)
    data = b"dataset row\n" * 100
    stored = store.ingest(io.BytesIO(data))
    path = store.path(stored.digest)
    long_ago = time.time() - 30 * 86400
    os.utime(path, (long_ago, long_ago))

    store.ingest(io.BytesIO(data), expected_digest=stored.digest)

    assert path.stat().st_mtime > long_ago + 29 * 86400
    assert path.read_bytes() == data
