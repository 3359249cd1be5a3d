"""What reading a repository returns: tree entries, commits, branches, file streams."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime

import git


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
