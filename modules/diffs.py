"""What a commit changed: files with additions/deletions and their patch, for the commit page.

Read with ``git diff-tree`` against the first parent (the root commit against the empty tree),
with a byte cap so a huge commit cannot fill a page or the server's memory.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

from django.conf import settings

from .repository import Repository

MAX_PATCH_BYTES = 1024 * 1024


@dataclass
class DiffLine:
    kind: str  # "add", "del", "hunk" or "context"
    text: str


@dataclass
class FileDiff:
    path: str
    additions: int | None  # None for binary files
    deletions: int | None
    lines: list[DiffLine] = field(default_factory=list)
    status: str = "modified"  # "added", "deleted" or "modified"

    @property
    def binary(self) -> bool:
        return self.additions is None


@dataclass
class CommitDiff:
    files: list[FileDiff]
    truncated: bool

    @property
    def additions(self) -> int:
        return sum(f.additions or 0 for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions or 0 for f in self.files)


def _diff_tree(repository: Repository, *args: str, limit: int | None = None) -> tuple[bytes, bool]:
    git_dir = ["--git-dir", str(repository.path), "-c", "core.quotePath=false"]
    command = [settings.GIT_BINARY, *git_dir, "diff-tree", *args]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        data = process.stdout.read(limit + 1 if limit else -1)
        truncated = bool(limit and len(data) > limit)
        if truncated:
            process.kill()
        else:
            process.wait()
    return (data[:limit] if truncated else data), truncated


def commit_diff(repository: Repository, ref: str) -> CommitDiff:
    """The changes of the commit ``ref`` names (raises NotFound for an unknown ref)."""
    info = repository.commit_info(ref)
    base = [info.parents[0], info.sha] if info.parents else ["--root", info.sha]
    common = ["-r", "--no-commit-id", "--no-renames", "--no-color", "--no-ext-diff"]
    numstat, _ = _diff_tree(repository, *common, "--numstat", "-z", *base)
    files: list[FileDiff] = []
    for entry in numstat.split(b"\0"):
        if entry.count(b"\t") < 2:
            continue
        added, deleted, path = entry.split(b"\t", 2)
        binary = added == b"-"
        files.append(
            FileDiff(
                path=path.decode("utf-8", "replace"),
                additions=None if binary else int(added),
                deletions=None if binary else int(deleted),
            )
        )
    patch, truncated = _diff_tree(repository, *common, "-p", *base, limit=MAX_PATCH_BYTES)
    by_path = {f.path: f for f in files}
    current: FileDiff | None = None
    status, header = "modified", False
    for raw in patch.decode("utf-8", "replace").split("\n"):
        if raw.startswith("diff --git "):
            current, status, header = None, "modified", True
        elif header and raw.startswith(("new file mode", "deleted file mode")):
            status = "added" if raw.startswith("new") else "deleted"
        elif header and raw.startswith(("--- ", "+++ ")) and raw[4:] != "/dev/null":
            name = raw[4:]
            current = by_path.get(name[2:] if name[:2] in ("a/", "b/") else name, current)
            if current is not None:
                current.status = status
        elif current is not None and raw.startswith("@@"):
            header = False
            current.lines.append(DiffLine("hunk", raw))
        elif current is not None and not header and raw[:1] in ("+", "-", " "):
            kind = {"+": "add", "-": "del", " ": "context"}[raw[0]]
            current.lines.append(DiffLine(kind, raw))
    return CommitDiff(files=files, truncated=truncated)
