"""Reading and writing a module's bare git repository.

The web UI and the API browse code at any branch or commit and commit uploaded files straight
into the bare repository (a temporary index, no working tree), so nothing here needs a checkout.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from io import BytesIO
from pathlib import Path, PurePosixPath

import git
import gitdb.exc
from django.conf import settings
from gitdb import IStream

from .lfs.pointers import MAX_POINTER_SIZE, Pointer, parse_pointer

logger = logging.getLogger(__name__)

ZERO_SHA = "0" * 40
MAX_NAME_BYTES = 255  # per path component, as in every common file system


class RepositoryError(Exception):
    """Something about the request does not fit the repository; the message says what."""


class NotFound(RepositoryError):
    pass


class InvalidPath(RepositoryError):
    pass


class CommitConflict(RepositoryError):
    pass


def validate_path(path: str) -> str:
    """Return a normalised repository path or refuse one that could escape or touch .git."""
    if not isinstance(path, str) or not path.strip():
        raise InvalidPath("A file path is required.")
    if "\x00" in path or "\\" in path or any(ord(ch) < 32 for ch in path):
        raise InvalidPath(f"'{path}' contains characters that are not allowed in a path.")
    if path.startswith("/"):
        raise InvalidPath(f"'{path}' is absolute; give a path relative to the repository root.")
    parts = PurePosixPath(path).parts
    if any(part == ".." for part in parts):
        raise InvalidPath(f"'{path}' contains '..'; paths must stay inside the repository.")
    if any(part.lower() == ".git" for part in parts):
        raise InvalidPath(f"'{path}' points into .git, which cannot be written.")
    too_long = next((part for part in parts if len(part.encode()) > MAX_NAME_BYTES), None)
    if too_long is not None:
        raise InvalidPath(
            f"'{too_long[:40]}…' is longer than {MAX_NAME_BYTES} bytes; file systems cannot "
            "hold such a name."
        )
    cleaned = "/".join(part for part in parts if part != ".")
    if not cleaned:
        raise InvalidPath("A file path is required.")
    return cleaned


def valid_branch_name(branch: str) -> bool:
    if not branch or branch.startswith("-"):
        return False
    check = subprocess.run(
        [settings.GIT_BINARY, "check-ref-format", "--branch", branch], capture_output=True
    )
    return check.returncode == 0


@dataclass(frozen=True)
class TreeEntry:
    name: str
    path: str
    type: str  # "tree" or "blob"
    size: int | None  # for an LFS file, the size of the object, not of its pointer
    mode: str
    sha: str = ""
    lfs: bool = False


@dataclass(frozen=True)
class FileSummary:
    files: int
    total_size: int  # LFS files counted at their objects' sizes
    lfs_files: int


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    message: str
    author_name: str
    author_email: str
    authored_at: datetime
    parents: list[str]

    @property
    def short_sha(self) -> str:
        return self.sha[:10]

    @property
    def title(self) -> str:
        return self.message.splitlines()[0] if self.message else ""

    @classmethod
    def from_commit(cls, commit: git.Commit) -> CommitInfo:
        return cls(
            sha=commit.hexsha,
            message=commit.message if isinstance(commit.message, str) else commit.message.decode(),
            author_name=commit.author.name or "",
            author_email=commit.author.email or "",
            authored_at=commit.authored_datetime,
            parents=[parent.hexsha for parent in commit.parents],
        )


@dataclass(frozen=True)
class BranchInfo:
    name: str
    commit: CommitInfo


class BlobStream:
    """A file's bytes read lazily; ``head`` (the first chunk) is read at once to sniff the type.

    Iterate for the chunks; ``close()`` (called by Django when the response ends) stops git.
    """

    CHUNK = 64 * 1024

    def __init__(self, size: int, process: subprocess.Popen) -> None:
        self.size = size
        self.process = process
        assert process.stdout is not None
        self.head = process.stdout.read(min(size, self.CHUNK)) if size else b""

    def __iter__(self):
        if self.head:
            yield self.head
        assert self.process.stdout is not None
        while chunk := self.process.stdout.read(self.CHUNK):
            yield chunk

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


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


class Repository:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # -- lifecycle ---------------------------------------------------------------------------
    def create(self, default_branch: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                settings.GIT_BINARY,
                "init",
                "--quiet",
                "--bare",
                "-b",
                default_branch,
                str(self.path),
            ],
            check=True,
            capture_output=True,
        )

    def delete(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def sweep_incoming(self, max_age: float) -> int:
        """Remove quarantine folders (objects/tmp_objdir-incoming-*) older than ``max_age``
        seconds: a push whose web worker was killed leaves them behind forever."""
        removed = 0
        cutoff = time.time() - max_age
        for folder in (self.path / "objects").glob("tmp_objdir-incoming-*"):
            try:
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def gc_auto(self) -> None:
        """Let git pack loose objects when there are many (it returns at once otherwise)."""
        subprocess.run(
            [settings.GIT_BINARY, "--git-dir", str(self.path), "gc", "--auto", "--quiet"],
            capture_output=True,
        )

    def set_default_branch(self, branch: str) -> None:
        self._git.symbolic_ref("HEAD", f"refs/heads/{branch}")

    def create_branch(self, branch: str, commit: str) -> None:
        """A new branch at ``commit``; refused if it exists (never moves someone's branch)."""
        if not valid_branch_name(branch):
            raise RepositoryError(f"'{branch}' is not a valid branch name.")
        run = _GitRunner(self.path, dict(os.environ))
        try:
            run("update-ref", f"refs/heads/{branch}", self.resolve(commit), "")
        except RepositoryError:
            raise RepositoryError(f"Branch '{branch}' already exists.") from None

    def delete_branch(self, branch: str) -> None:
        if valid_branch_name(branch):
            _GitRunner(self.path, dict(os.environ))("update-ref", "-d", f"refs/heads/{branch}")

    @cached_property
    def _repo(self) -> git.Repo:
        if not self.path.is_dir():
            raise NotFound("The repository is missing on disk.")
        return git.Repo(self.path)

    @property
    def _git(self) -> git.Git:
        return self._repo.git

    # -- reading -----------------------------------------------------------------------------
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

    def _commit(self, ref: str) -> git.Commit:
        """The commit ``ref`` names (branch, tag or commit id), resolved by git itself.

        Reflog and upstream forms (``master@{1}``, ``@{-1}``, ``master@{u}``), unknown or
        all-zero ids and anything else git cannot resolve to a commit are "not found".
        """
        if (
            not ref
            or len(ref) > 1000
            or ref.startswith("-")
            or any(ch in ref for ch in " ~^:?*[\\")
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in ref)
        ):
            raise NotFound(f"No branch or commit '{ref[:100]}'.")
        for candidate in (f"refs/heads/{ref}", f"refs/tags/{ref}", ref):
            sha = self._rev_parse_commit(candidate)
            if sha:
                return self._repo.commit(sha)
        raise NotFound(f"No branch or commit '{ref[:100]}'.")

    def _rev_parse_commit(self, name: str) -> str | None:
        result = subprocess.run(
            [
                settings.GIT_BINARY,
                "--git-dir",
                str(self.path),
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                f"{name}^{{commit}}",
            ],
            capture_output=True,
            text=True,
        )
        sha = result.stdout.strip()
        return sha if result.returncode == 0 and len(sha) == 40 else None

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

    def resolve(self, ref: str) -> str:
        return self._commit(ref).hexsha

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
        obj = self._object(ref, path)
        if obj.type != "blob":
            raise NotFound(f"'{path}' is a directory, not a file.")
        return obj.data_stream.read(limit)

    @_readable
    def blob_sha(self, ref: str, path: str) -> str:
        obj = self._object(ref, path)
        if obj.type != "blob":
            raise NotFound(f"'{path}' is a directory, not a file.")
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
        obj = self._object(ref, path)
        if obj.type != "blob":
            raise NotFound(f"'{path}' is a directory, not a file.")
        if max_size is not None and obj.size > max_size:
            raise RepositoryError(f"'{path}' is {obj.size} bytes, larger than {max_size}.")
        return obj.data_stream.read()

    @_readable
    def open_blob(self, ref: str, path: str) -> BlobStream:
        """The file at ``path`` as a stream of chunks from ``git cat-file``: memory stays flat
        however large the file (a gigabyte of zeros packs to a kilobyte)."""
        obj = self._object(ref, path)
        if obj.type != "blob":
            raise NotFound(f"'{path}' is a directory, not a file.")
        process = subprocess.Popen(
            [settings.GIT_BINARY, "--git-dir", str(self.path), "cat-file", "blob", obj.hexsha],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        return BlobStream(size=obj.size, process=process)

    @_readable
    def file_size(self, ref: str, path: str) -> int:
        obj = self._object(ref, path)
        if obj.type != "blob":
            raise NotFound(f"'{path}' is a directory, not a file.")
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

    # -- writing -----------------------------------------------------------------------------
    COMMIT_ATTEMPTS = 30  # with a short random pause between, so parallel writers spread out

    def commit_files(
        self,
        branch: str,
        files: dict[str, bytes],
        message: str,
        author_name: str,
        author_email: str,
        expected_head: str | None = None,
    ) -> str:
        """Commit ``files`` on top of ``branch`` (created when missing) and return the new SHA.

        The branch moves with a compare-and-swap, so a concurrent push is never overwritten.
        With ``expected_head`` the caller saw that head and any move is a conflict. Without it,
        a branch that moved meanwhile is fine as long as none of these files changed: the
        commit is rebuilt on the new head (parallel commits to different files all land).
        """
        if not files:
            raise RepositoryError("Nothing to commit: no files given.")
        if not message.strip():
            raise RepositoryError("A commit message is required.")
        if not valid_branch_name(branch):
            raise RepositoryError(f"'{branch}' is not a valid branch name.")
        repo = self._repo
        cleaned = {validate_path(raw_path): data for raw_path, data in files.items()}
        blobs = {}
        for path, data in cleaned.items():
            stored = repo.odb.store(IStream(b"blob", len(data), BytesIO(data)))
            blobs[path] = stored.hexsha.decode()
        base = self._head_sha(branch)
        if expected_head and base and base != expected_head:
            raise CommitConflict(f"Branch '{branch}' moved on; reload and try again.")
        parent = base
        for _attempt in range(self.COMMIT_ATTEMPTS):
            sha = self._commit_tree_on(branch, parent, blobs, message, author_name, author_email)
            if sha is not None:
                return sha
            if expected_head:
                raise CommitConflict(f"Branch '{branch}' moved on; reload and try again.")
            time.sleep(random.uniform(0, 0.05))
            parent = self._head_sha(branch)
            changed = self._changed_paths(base, parent, list(blobs))
            if changed:
                raise CommitConflict(
                    f"{', '.join(sorted(changed)[:5])} changed on '{branch}' meanwhile; "
                    "reload and try again."
                )
        raise CommitConflict(f"Branch '{branch}' keeps moving; try again.")

    def _head_sha(self, branch: str) -> str | None:
        ref = f"refs/heads/{branch}"
        result = subprocess.run(
            [settings.GIT_BINARY, "--git-dir", str(self.path), "rev-parse", "--verify", "-q", ref],
            capture_output=True,
            text=True,
        )
        return result.stdout.strip() or None

    def _changed_paths(self, old: str | None, new: str | None, paths: list[str]) -> set[str]:
        """Which of ``paths`` differ between commits ``old`` and ``new`` (None: no commit)."""
        if old == new:
            return set()
        if new is None:
            return set()
        if old is None:
            args = ["ls-tree", "-r", "--name-only", new, "--", *paths]
        else:
            args = ["diff", "--name-only", "--no-renames", old, new, "--", *paths]
        result = subprocess.run(
            [settings.GIT_BINARY, "--git-dir", str(self.path), *args],
            capture_output=True,
            text=True,
        )
        return {line for line in result.stdout.splitlines() if line} & set(paths)

    def _commit_tree_on(
        self,
        branch: str,
        parent_sha: str | None,
        blobs: dict[str, str],
        message: str,
        author_name: str,
        author_email: str,
    ) -> str | None:
        """One attempt: the commit's SHA, or None when the branch moved away from ``parent``."""
        parent = self._repo.commit(parent_sha) if parent_sha else None
        index_entries = []
        for path, blob in blobs.items():
            mode = "100644"
            if parent is not None:
                try:
                    existing = parent.tree / path
                    if existing.type == "tree":
                        raise RepositoryError(f"'{path}' is a directory in '{branch}'.")
                    mode = oct(existing.mode)[2:]
                except KeyError:
                    pass
            index_entries.append(f"{mode} {blob}\t{path}")
        identity = {
            "GIT_AUTHOR_NAME": author_name,
            "GIT_AUTHOR_EMAIL": author_email,
            "GIT_COMMITTER_NAME": author_name,
            "GIT_COMMITTER_EMAIL": author_email,
        }
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, **identity, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
            run = _GitRunner(self.path, env)
            run("read-tree", parent.hexsha if parent else "--empty")
            try:
                run("update-index", "--add", "--index-info", stdin="\n".join(index_entries) + "\n")
                tree = run("write-tree")
            except RepositoryError as error:
                raise RepositoryError(f"Cannot add these files: {error}") from None
            args = ["commit-tree", tree, "-m", message]
            if parent is not None:
                if parent.tree.hexsha == tree:
                    raise RepositoryError(
                        "These files are identical to the branch; nothing changed."
                    )
                args += ["-p", parent.hexsha]
            sha = run(*args)
            try:
                run(
                    "update-ref", f"refs/heads/{branch}", sha, parent.hexsha if parent else ZERO_SHA
                )
            except RepositoryError:
                return None
        return sha


class _GitRunner:
    def __init__(self, git_dir: Path, env: dict[str, str]) -> None:
        self.git_dir = git_dir
        self.env = env

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [settings.GIT_BINARY, "--git-dir", str(self.git_dir), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
        )
        if result.returncode != 0:
            raise RepositoryError(
                result.stderr.strip().splitlines()[-1] if result.stderr else "git failed"
            )
        return result.stdout.strip()
