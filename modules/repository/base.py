"""The bare repository on disk and the git calls every part of ``Repository`` shares:
opening it, resolving a ref to a commit, running a git command that fails with its message."""

from __future__ import annotations

import subprocess
from functools import cached_property
from pathlib import Path

import git
from django.conf import settings

from .errors import NotFound, RepositoryError

ZERO_SHA = "0" * 40


class GitDirectory:
    """A bare repository at ``path`` (it need not exist yet)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @cached_property
    def _repo(self) -> git.Repo:
        if not self.path.is_dir():
            raise NotFound("The repository is missing on disk.")
        return git.Repo(self.path)

    @property
    def _git(self) -> git.Git:
        return self._repo.git

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

    def resolve(self, ref: str) -> str:
        return self._commit(ref).hexsha


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
