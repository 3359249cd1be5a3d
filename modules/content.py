"""A file as people see it: for an LFS pointer, the object it names, not the pointer.

Pages, previews and raw downloads go through here so a dataset's large files look like any
other file: their real size, their bytes streamed from the blob store.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

from django.http import FileResponse, HttpResponse

from .lfs.objects import lfs_store, referenced
from .lfs.pointers import Pointer
from .models import Module
from .rendering import blob_response, is_binary
from .repository import NotFound


@dataclass(frozen=True)
class FileContent:
    module: Module
    ref: str
    path: str
    size: int
    sha: str  # the git blob (the pointer's blob for LFS files)
    pointer: Pointer | None

    @property
    def lfs(self) -> bool:
        return self.pointer is not None

    @property
    def cache_key(self) -> str:
        """Names these bytes forever (content-addressed), for caches such as thumbnails."""
        return f"lfs-{self.pointer.oid}" if self.pointer else f"git-{self.sha}"

    @property
    def available(self) -> bool:
        """False for an LFS file whose object was never uploaded to this repository."""
        return self.pointer is None or referenced(self.module, self.pointer.oid) is not None

    def open(self, max_git_size: int) -> IO[bytes]:
        """A seekable file: the LFS object on disk, or a git blob of at most ``max_git_size``."""
        if self.pointer is not None:
            if not self.available:
                raise NotFound(f"The LFS object of '{self.path}' was never uploaded.")
            return lfs_store().open(self.pointer.oid)
        return io.BytesIO(self.module.repository.read_file(self.ref, self.path, max_git_size))

    def head(self, limit: int) -> bytes:
        """The first ``limit`` bytes, without reading the rest."""
        if self.pointer is None:
            return self.module.repository.read_head(self.ref, self.path, limit)
        with self.open(0) as handle:
            return handle.read(limit)


def resolve(module: Module, ref: str, path: str) -> FileContent:
    """Raises RepositoryError (NotFound, InvalidPath) like the repository does."""
    repository = module.repository
    pointer = repository.lfs_pointer(ref, path)
    return FileContent(
        module=module,
        ref=ref,
        path=path,
        size=pointer.size if pointer else repository.file_size(ref, path),
        sha=repository.blob_sha(ref, path),
        pointer=pointer,
    )


def download(content: FileContent) -> HttpResponse:
    """Stream the file: an LFS object from the store, a git blob from ``git cat-file``."""
    if content.pointer is None:
        return blob_response(content.module.repository.open_blob(content.ref, content.path))
    handle = content.open(0)
    binary = is_binary(handle.read(8000))
    handle.seek(0)
    response = FileResponse(
        handle,
        content_type="application/octet-stream" if binary else "text/plain; charset=utf-8",
    )
    response["Content-Length"] = str(content.size)
    response["X-Content-Type-Options"] = "nosniff"
    return response
