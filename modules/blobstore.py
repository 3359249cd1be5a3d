"""Content-addressed storage for large objects: registry blobs, Git LFS objects, artifacts.

Every large upload takes the same path: the body is received into one reused 1 MiB buffer,
hashed there and written to a temporary file beside the store, so each byte is copied once on
its way in and memory never grows with the size. The file is flushed to disk (``fsync``) and
only then renamed into ``<root>/sha256/ab/abcdef…`` (``<root>/sha512/…`` for OCI content
named by sha512), and the rename is made durable by an
``fsync`` of the directory: once ``ingest`` returns (and the caller acknowledges the upload)
the object survives a crash. A rename on one file system is atomic, so a reader sees a whole
object or none, and two uploads of the same bytes end as one file (de-duplicated across every
repository that names it). Which repositories reference an object is the caller's business
(database rows); ``iter_digests`` and ``delete`` let its garbage collector sweep.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

CHUNK_SIZE = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Digest algorithms the store names objects by (OCI content may use sha512), with the hex shape.
ALGORITHMS = {"sha256": _HEX64, "sha512": re.compile(r"^[0-9a-f]{128}$")}


class BlobError(Exception):
    """The bytes do not match what the client declared; nothing was stored."""


class DigestMismatch(BlobError):
    pass


class SizeMismatch(BlobError):
    pass


class SizeLimitExceeded(BlobError):
    pass


def parse_digest(digest: str) -> str:
    """Return the hex part of ``sha256:<hex>`` (or a bare hex); ValueError when malformed."""
    algorithm, hex_part = split_digest(digest)
    if algorithm != "sha256":
        raise ValueError(f"Unsupported or malformed digest: {digest[:100]!r}")
    return hex_part


def split_digest(digest: str) -> tuple[str, str]:
    """``(algorithm, hex)`` of ``<algorithm>:<hex>`` (a bare hex is sha256); ValueError when the
    algorithm is not in ``ALGORITHMS`` or the hex has the wrong shape."""
    algorithm, sep, hex_part = digest.partition(":")
    if not sep:
        algorithm, hex_part = "sha256", digest
    pattern = ALGORITHMS.get(algorithm)
    if pattern is None or not pattern.match(hex_part):
        raise ValueError(f"Unsupported or malformed digest: {digest[:100]!r}")
    return algorithm, hex_part


@dataclass(frozen=True)
class StoredBlob:
    digest: str  # "sha256:<hex>" (or "sha512:<hex>")
    size: int


class BlobStore:
    """One directory of immutable objects named by their digest (sha256 unless asked)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.incoming = self.root / "incoming"

    def path(self, digest: str) -> Path:
        algorithm, hex_part = split_digest(digest)
        return self.root / algorithm / hex_part[:2] / hex_part

    def exists(self, digest: str) -> bool:
        try:
            return self.path(digest).is_file()
        except ValueError:
            return False

    def size(self, digest: str) -> int | None:
        try:
            return self.path(digest).stat().st_size
        except (OSError, ValueError):
            return None

    def open(self, digest: str) -> IO[bytes]:
        return self.path(digest).open("rb")

    def iter_range(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Stream bytes ``start``..``end`` (inclusive, as HTTP ranges are) in chunks."""
        with self.open(digest) as handle:
            handle.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = handle.read(CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def temporary_file(self) -> IO[bytes]:
        """A file on the store's file system, so finishing an upload is a rename, not a copy."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=self.incoming, prefix="upload-", delete=False)

    def ingest(
        self,
        source: IO[bytes],
        expected_digest: str | None = None,
        expected_size: int | None = None,
        max_size: int | None = None,
        algorithm: str = "sha256",
    ) -> StoredBlob:
        """Stream ``source`` into the store; refuse (storing nothing) on a wrong digest or size.

        ``source`` is read with ``readinto`` when it has it (files, ``BytesIO``, a request body
        under gunicorn: ``mlreef.http_body``), else with ``read``. The object is named by
        ``algorithm``, or by the algorithm of ``expected_digest``.
        """
        algorithm, expected_hex = _expected(expected_digest, algorithm)
        hasher = hashlib.new(algorithm)
        size = 0
        self.incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.incoming, prefix="upload-")
        temp = Path(name)
        try:
            for chunk in _chunks(source):
                size += len(chunk)
                if max_size is not None and size > max_size:
                    raise SizeLimitExceeded(f"The upload is larger than {max_size} bytes.")
                hasher.update(chunk)
                _write_all(fd, chunk)
            os.fsync(fd)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        finally:
            os.close(fd)
        return self._commit(temp, algorithm, hasher.hexdigest(), size, expected_hex, expected_size)

    def adopt(
        self, temp: Path, expected_digest: str | None = None, expected_size: int | None = None
    ) -> StoredBlob:
        """Hash a finished temporary file (e.g. a chunked upload session) and move it in."""
        algorithm, expected_hex = _expected(expected_digest, "sha256")
        hasher = hashlib.new(algorithm)
        size = 0
        with temp.open("rb") as handle:
            for chunk in _chunks(handle):
                size += len(chunk)
                hasher.update(chunk)
            os.fsync(handle.fileno())  # appended to without fsync: flush before the rename
        return self._commit(temp, algorithm, hasher.hexdigest(), size, expected_hex, expected_size)

    def _commit(
        self,
        temp: Path,
        algorithm: str,
        actual_hex: str,
        size: int,
        expected_hex: str | None,
        expected_size: int | None,
    ) -> StoredBlob:
        if expected_size is not None and size != expected_size:
            temp.unlink(missing_ok=True)
            raise SizeMismatch(f"Received {size} bytes, expected {expected_size}.")
        if expected_hex is not None and actual_hex != expected_hex:
            temp.unlink(missing_ok=True)
            raise DigestMismatch(
                f"The content's digest is {algorithm}:{actual_hex}, not {algorithm}:{expected_hex}."
            )
        target = self.path(f"{algorithm}:{actual_hex}")
        if target.exists():
            temp.unlink(missing_ok=True)  # the same bytes are already stored
            # Garbage collectors spare files younger than their grace period: an old object
            # uploaded again must count as new, or it could go before its reference is made.
            os.utime(target)
        else:
            self._make_prefix(target.parent)
            os.chmod(temp, 0o644 & ~_umask())
            os.replace(temp, target)
            _fsync_directory(target.parent)
        return StoredBlob(digest=f"{algorithm}:{actual_hex}", size=size)

    def _make_prefix(self, directory: Path) -> None:
        """Create ``sha256/ab`` durably (its entry in ``sha256`` too) the first time."""
        if directory.is_dir():
            return
        directory.parent.mkdir(parents=True, exist_ok=True)
        directory.mkdir(exist_ok=True)
        _fsync_directory(directory.parent)

    def delete(self, digest: str) -> int:
        """Remove an object; return the bytes freed (0 when it was absent)."""
        path = self.path(digest)
        try:
            size = path.stat().st_size
            path.unlink()
            return size
        except FileNotFoundError:
            return 0

    def iter_digests(self) -> Iterator[tuple[str, int, float]]:
        """Every stored object as (digest, size, mtime), for garbage collectors."""
        for algorithm, pattern in ALGORITHMS.items():
            base = self.root / algorithm
            if not base.is_dir():
                continue
            for prefix in sorted(base.iterdir()):
                for entry in sorted(prefix.iterdir()):
                    if pattern.match(entry.name):
                        stat = entry.stat()
                        yield f"{algorithm}:{entry.name}", stat.st_size, stat.st_mtime

    def sweep_incoming(self, older_than_seconds: float) -> int:
        """Delete temporary files of uploads abandoned (killed worker, dropped client)."""
        freed = 0
        if not self.incoming.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        for entry in self.incoming.iterdir():
            try:
                stat = entry.stat()
                if stat.st_mtime < cutoff:
                    entry.unlink()
                    freed += stat.st_size
            except FileNotFoundError:
                continue
        return freed


def _chunks(source: IO[bytes]) -> Iterator[memoryview | bytes]:
    """The source's bytes in pieces of up to ``CHUNK_SIZE``, received into one buffer.

    The buffer is an anonymous memory map rather than a ``bytearray``: freeing it unmaps it, so
    the memory goes back to the system at once, where a 1 MiB ``malloc`` block may stay in the
    allocator arena of the thread that used it (one per server thread).
    """
    readinto = getattr(source, "readinto", None)
    if readinto is None:
        while chunk := source.read(CHUNK_SIZE):
            yield chunk
        return
    view = memoryview(mmap.mmap(-1, CHUNK_SIZE))
    while received := readinto(view):
        yield view[:received]


def _write_all(fd: int, data: memoryview | bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_directory(directory: Path) -> None:
    """Make a rename or new entry in ``directory`` durable (POSIX needs the directory synced)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _expected(digest: str | None, algorithm: str) -> tuple[str, str | None]:
    """(algorithm to hash with, expected hex or None); ValueError for an unknown algorithm."""
    if digest:
        return split_digest(digest)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"Unsupported digest algorithm {algorithm[:50]!r}")
    return algorithm, None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
