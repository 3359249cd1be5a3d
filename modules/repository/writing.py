"""Committing files straight into the bare repository: a temporary index, no working tree,
and a compare-and-swap on the branch so a concurrent push is never overwritten."""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import time
from io import BytesIO
from pathlib import Path

from django.conf import settings
from gitdb import IStream

from .base import ZERO_SHA, GitDirectory, _GitRunner
from .errors import CommitConflict, RepositoryError
from .names import valid_branch_name, validate_path


class Writing(GitDirectory):
    """Commits made by the hub itself (uploads, the web editor, mlreef.yml)."""

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
