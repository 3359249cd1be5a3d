"""Creating and deleting a repository, moving its branches, and keeping it tidy."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from django.conf import settings

from .base import GitDirectory, _GitRunner
from .errors import RepositoryError
from .names import valid_branch_name


class Lifecycle(GitDirectory):
    """Create, delete, branches and upkeep of the repository on disk."""

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
