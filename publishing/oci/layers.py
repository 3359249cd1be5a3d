"""Reproducible image layers: the same files give the same bytes, hence the same digest.

Everything that usually leaks the build's circumstances into a tar is fixed: entries are sorted,
owners are root (0/0, no names), modes are 0644/0755 (0755 when any execute bit was set), mtimes
are ``SOURCE_DATE_EPOCH`` (the commit time), the gzip header carries no name and a
zero mtime, and compiled ``.pyc`` files are never included. A base root file system can instead
keep its owners and modes, with mtimes clamped to the epoch (``normalize=False``): they are
part of what it is.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .client import OCI_LAYER_GZIP

GZIP_LEVEL = 6


@dataclass(frozen=True)
class Blob:
    """A blob on the worker's disk, with what a manifest says about it."""

    path: Path
    digest: str
    size: int
    media_type: str
    diff_id: str = ""  # sha256 of the uncompressed tar, for the config's rootfs

    def descriptor(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}

    def as_json(self) -> dict:
        return {
            "digest": self.digest,
            "size": self.size,
            "media_type": self.media_type,
            "diff_id": self.diff_id,
        }


class _HashingWriter:
    """A file object that hashes and counts what passes through it."""

    def __init__(self, target) -> None:
        self.target = target
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.target.write(data)

    def flush(self) -> None:
        self.target.flush()


def canonical_json(value) -> bytes:
    """Sorted keys, no spaces: two builds of the same inputs serialise identically."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def write_json_blob(value, path: Path, media_type: str) -> Blob:
    body = canonical_json(value)
    path.write_bytes(body)
    return Blob(path, "sha256:" + hashlib.sha256(body).hexdigest(), len(body), media_type)


def _walk(root: Path) -> Iterator[Path]:
    """Every path under ``root`` in a stable, sorted, parents-first order."""
    with os.scandir(root) as entries:
        children = sorted(entries, key=lambda entry: entry.name)
    for entry in children:
        path = Path(entry.path)
        yield path
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(path)


def _is_bytecode(path: Path) -> bool:
    return path.suffix == ".pyc" or path.name == "__pycache__"


def write_layer(
    entries: list[tuple[Path, str]],
    target: Path,
    epoch: int,
    normalize: bool = True,
    skip_bytecode: bool = True,
) -> Blob:
    """Tar and gzip ``(directory, path in the image)`` pairs into ``target``.

    The parent folders of each destination are written too (root-owned, 0755), so the layer
    unpacks the same on any base.
    """
    with target.open("wb") as raw:
        compressed_writer = _HashingWriter(raw)
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=compressed_writer, mtime=0, compresslevel=GZIP_LEVEL
        ) as gz:
            tar_writer = _HashingWriter(gz)
            with tarfile.open(fileobj=tar_writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                seen: set[str] = set()
                for source, destination in entries:
                    prefix = destination.strip("/")
                    parts = prefix.split("/") if prefix else []
                    for depth in range(1, len(parts) + 1):
                        name = "/".join(parts[:depth])
                        if name not in seen:
                            seen.add(name)
                            tar.addfile(_directory(name, epoch))
                    for path in _walk(source):
                        relative = path.relative_to(source).as_posix()
                        if skip_bytecode and _is_bytecode(path):
                            continue
                        name = f"{prefix}/{relative}" if prefix else relative
                        if name in seen:
                            continue
                        seen.add(name)
                        _add(tar, path, name, epoch, normalize)
    return Blob(
        path=target,
        digest="sha256:" + compressed_writer.sha.hexdigest(),
        size=compressed_writer.size,
        media_type=OCI_LAYER_GZIP,
        diff_id="sha256:" + tar_writer.sha.hexdigest(),
    )


def _directory(name: str, epoch: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = epoch
    return info


def _add(tar: tarfile.TarFile, path: Path, name: str, epoch: int, normalize: bool) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.mtime = min(int(info.mtime), epoch)
    info.uname = info.gname = ""
    if normalize:
        info.mtime = epoch  # not only clamped: a file pip left with an older time is no exception
        info.uid = info.gid = 0
        if info.isdir():
            info.mode = 0o755
        elif info.isreg():
            info.mode = 0o755 if info.mode & 0o111 else 0o644
        elif info.issym() or info.islnk():
            pass
        else:
            return  # devices, FIFOs and sockets have no place in a module's layers
    if info.isreg():
        with path.open("rb") as file:
            tar.addfile(info, file)
    else:
        tar.addfile(info)


def directory_epoch(root: Path) -> int:
    """The newest mtime under ``root``: a stable clamp for a root file system."""
    newest = 0
    for path in _walk(root):
        newest = max(newest, int(path.lstat().st_mtime))
    return newest
