"""Which file paths and branch names a repository accepts."""

from __future__ import annotations

import subprocess
from pathlib import PurePosixPath

from django.conf import settings

from .errors import InvalidPath

MAX_NAME_BYTES = 255  # per path component, as in every common file system


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
