"""Browsing a repository at any branch or commit: trees, files, history, LFS pointers.

Objects git cannot make sense of read as "not found", never as a crash."""

from __future__ import annotations

import functools
import logging
import subprocess

import git
import gitdb.exc
from django.conf import settings

from ..lfs.pointers import MAX_POINTER_SIZE, Pointer, parse_pointer
from .base import GitDirectory
from .errors import NotFound, RepositoryError
from .names import validate_path
from .records import BlobStream, BranchInfo, CommitInfo, FileSummary, TreeEntry

logger = logging.getLogger(__name__)


# What GitPython raises on objects it cannot parse (trees with odd names, corrupt objects).
BROKEN_OBJECT_ERRORS = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AssertionError,
    UnicodeError,
    git.GitCommandError,
    gitdb.exc.ODBError,
)


def _readable(method):
    """Reading a tree or commit git cannot make sense of is "not found", never a crash."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RepositoryError:
            raise
        except BROKEN_OBJECT_ERRORS as error:
            logger.warning("unreadable object in %s: %r", self.path, error)
            raise NotFound("This part of the repository cannot be read.") from None

    return wrapper


class Reading(GitDirectory):
    """Read-only views of the repository at any branch or commit."""

    def is_empty(self) -> bool:
        return not self._repo.heads

    @_readable
    def branches(self) -> list[BranchInfo]:
        return [
            BranchInfo(head.name, CommitInfo.from_commit(head.commit))
            for head in sorted(self._repo.heads, key=lambda h: h.name)
        ]

    def branch_heads(self) -> dict[str, str]:
        """Branch name -> commit SHA, read in one git call (cheap enough around every push)."""
        result = subprocess.run(
            [
                settings.GIT_BINARY,
                "--git-dir",
                str(self.path),
                "for-each-ref",
                "--format=%(refname:short) %(objectname)",
                "refs/heads",
            ],
            capture_output=True,
            text=True,
        )
        return dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)

    def branch_names(self) -> list[str]:
        return sorted(head.name for head in self._repo.heads)

    def existing_branch(self, preferred: str) -> str:
        """``preferred`` when it exists; otherwise main, master or the first branch there is
        (a module whose default branch was never pushed still shows its code)."""
        names = self.branch_names()
        if preferred in names or not names:
            return preferred
        for name in ("main", "master"):
            if name in names:
                return name
        return names[0]

    @_readable
    def commit_info(self, ref: str) -> CommitInfo:
        return CommitInfo.from_commit(self._commit(ref))

    @_readable
    def commits(self, ref: str, path: str = "", limit: int = 50, skip: int = 0) -> list[CommitInfo]:
        commit = self._commit(ref)
        kwargs = {"max_count": limit, "skip": skip}
        paths = [validate_path(path)] if path else []
        return [CommitInfo.from_commit(c) for c in self._repo.iter_commits(commit, paths, **kwargs)]

    def _object(self, ref: str, path: str):
        tree = self._commit(ref).tree
        if not path:
            return tree
        clean = validate_path(path)
        try:
            return tree / clean
        except KeyError:
            raise NotFound(f"No file or directory '{clean}' at '{ref}'.") from None

    def _blob(self, ref: str, path: str):
        """The file at ``path``; a directory there is "not found" for a reader of files."""
        obj = self._object(ref, path)
        if obj.type != "blob":
            raise NotFound(f"'{path}' is a directory, not a file.")
        return obj

    @_readable
    def tree(self, ref: str, path: str = "") -> list[TreeEntry]:
        obj = self._object(ref, path)
        if obj.type != "tree":
            raise NotFound(f"'{path}' is a file, not a directory.")
        items = [item for item in obj if item.type in ("tree", "blob")]
        pointers = self._read_pointers(
            [i.hexsha for i in items if i.type == "blob" and i.size <= MAX_POINTER_SIZE]
        )
        entries = []
        for item in items:
            pointer = pointers.get(item.hexsha)
            size = None
            if item.type == "blob":
                size = pointer.size if pointer else item.size
            entries.append(
                TreeEntry(
                    name=item.name,
                    path=item.path,
                    type="tree" if item.type == "tree" else "blob",
                    size=size,
                    mode=oct(item.mode)[2:],
                    sha=item.hexsha,
                    lfs=pointer is not None,
                )
            )
        return sorted(entries, key=lambda e: (e.type != "tree", e.name.lower()))

    @_readable
    def lfs_pointer(self, ref: str, path: str) -> Pointer | None:
        """The LFS pointer stored at ``path``, or None for an ordinary file."""
        obj = self._object(ref, path)
        if obj.type != "blob" or obj.size > MAX_POINTER_SIZE:
            return None
        return parse_pointer(obj.data_stream.read())

    @_readable
    def read_head(self, ref: str, path: str, limit: int) -> bytes:
        """The first ``limit`` bytes of a file (previews of large files)."""
        obj = self._blob(ref, path)
        return obj.data_stream.read(limit)

    @_readable
    def blob_sha(self, ref: str, path: str) -> str:
        obj = self._blob(ref, path)
        return obj.hexsha

    @_readable
    def file_summary(self, ref: str) -> FileSummary:
        """Number of files and their total size at ``ref`` (one ls-tree, one cat-file)."""
        sha = self.resolve(ref)
        listed = subprocess.run(
            [settings.GIT_BINARY, "--git-dir", str(self.path), "ls-tree", "-r", "-l", "-z", sha],
            capture_output=True,
            check=True,
        ).stdout
        blobs: list[tuple[str, int]] = []
        for record in listed.split(b"\0"):
            meta, _, _name = record.partition(b"\t")
            fields = meta.split()
            if len(fields) == 4 and fields[1] == b"blob":
                blobs.append((fields[2].decode(), int(fields[3])))
        pointers = self._read_pointers([s for s, size in blobs if size <= MAX_POINTER_SIZE])
        total = sum(pointers[s].size if s in pointers else size for s, size in blobs)
        lfs_files = sum(1 for s, _size in blobs if s in pointers)
        return FileSummary(files=len(blobs), total_size=total, lfs_files=lfs_files)

    def _read_pointers(self, shas: list[str]) -> dict[str, Pointer]:
        """Read small blobs in one ``git cat-file --batch``; the LFS pointers among them."""
        unique = sorted(set(shas))
        if not unique:
            return {}
        contents = subprocess.run(
            [settings.GIT_BINARY, "--git-dir", str(self.path), "cat-file", "--batch"],
            input="\n".join(unique).encode() + b"\n",
            capture_output=True,
            check=True,
        ).stdout
        found: dict[str, Pointer] = {}
        position = 0
        while position < len(contents):
            header_end = contents.index(b"\n", position)
            header = contents[position:header_end].split(b" ")
            if len(header) < 3:  # "<sha> missing"
                position = header_end + 1
                continue
            size = int(header[2])
            body = contents[header_end + 1 : header_end + 1 + size]
            position = header_end + 1 + size + 1
            pointer = parse_pointer(body)
            if pointer is not None:
                found[header[0].decode()] = pointer
        return found

    @_readable
    def read_file(self, ref: str, path: str, max_size: int | None = None) -> bytes:
        obj = self._blob(ref, path)
        if max_size is not None and obj.size > max_size:
            raise RepositoryError(f"'{path}' is {obj.size} bytes, larger than {max_size}.")
        return obj.data_stream.read()

    @_readable
    def open_blob(self, ref: str, path: str) -> BlobStream:
        """The file at ``path`` as a stream of chunks from ``git cat-file``: memory stays flat
        however large the file (a gigabyte of zeros packs to a kilobyte)."""
        obj = self._blob(ref, path)
        process = subprocess.Popen(
            [settings.GIT_BINARY, "--git-dir", str(self.path), "cat-file", "blob", obj.hexsha],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        return BlobStream(size=obj.size, process=process)

    @_readable
    def file_size(self, ref: str, path: str) -> int:
        obj = self._blob(ref, path)
        return obj.size

    @_readable
    def list_files(self, ref: str) -> list[str]:
        return sorted(
            item.path for item in self._commit(ref).tree.traverse() if item.type == "blob"
        )

    def file_shas(self, ref: str) -> dict[str, str]:
        """Every file's blob SHA at ``ref``: what identifies its content (an LFS pointer's
        blob identifies the object it points to)."""
        return {
            item.path: item.hexsha
            for item in self._commit(ref).tree.traverse()
            if item.type == "blob"
        }

    def lfs_pointers(self) -> dict[str, int]:
        """Every Git LFS object (oid -> size) that a pointer reachable from any ref names."""
        if not self.path.is_dir():
            return {}
        git_dir = ["--git-dir", str(self.path)]
        listed = subprocess.run(
            [settings.GIT_BINARY, *git_dir, "rev-list", "--objects", "--all"],
            capture_output=True,
            check=True,
        ).stdout
        if not listed.strip():
            return {}
        shas = b"\n".join(line.split(b" ", 1)[0] for line in listed.splitlines()) + b"\n"
        checked = subprocess.run(
            [
                settings.GIT_BINARY,
                *git_dir,
                "cat-file",
                "--batch-check=%(objectname) %(objecttype) %(objectsize)",
            ],
            input=shas,
            capture_output=True,
            check=True,
        ).stdout
        small = [
            sha.decode()
            for sha, kind, size in (line.split(b" ") for line in checked.splitlines())
            if kind == b"blob" and int(size) <= MAX_POINTER_SIZE
        ]
        return {p.oid: p.size for p in self._read_pointers(small).values()}
