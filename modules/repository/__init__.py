"""Reading and writing a module's bare git repository.

The web UI and the API browse code at any branch or commit and commit uploaded files straight
into the bare repository (a temporary index, no working tree), so nothing here needs a checkout.

``Repository`` is put together from one part per concern:

- ``base``: the repository on disk, resolving refs, running git;
- ``lifecycle``: create, delete, branches, upkeep (quarantine sweep, ``gc --auto``);
- ``reading``: trees, files, history, LFS pointers;
- ``writing``: committing files with a compare-and-swap on the branch;
- ``names``: which paths and branch names are accepted; ``records``: what reading returns;
  ``errors``: what goes wrong.

The names callers use are re-exported here, so ``from modules.repository import …`` keeps
working.
"""

from __future__ import annotations

from .base import ZERO_SHA, GitDirectory, _GitRunner
from .errors import CommitConflict, InvalidPath, NotFound, RepositoryError
from .lifecycle import Lifecycle
from .names import MAX_NAME_BYTES, valid_branch_name, validate_path
from .reading import BROKEN_OBJECT_ERRORS, Reading
from .records import BlobStream, BranchInfo, CommitInfo, FileSummary, TreeEntry
from .writing import Writing


class Repository(Lifecycle, Reading, Writing):
    """A module's bare git repository at ``path``."""


__all__ = [
    "BROKEN_OBJECT_ERRORS",
    "MAX_NAME_BYTES",
    "ZERO_SHA",
    "BlobStream",
    "BranchInfo",
    "CommitConflict",
    "CommitInfo",
    "FileSummary",
    "GitDirectory",
    "InvalidPath",
    "NotFound",
    "Repository",
    "RepositoryError",
    "TreeEntry",
    "_GitRunner",
    "valid_branch_name",
    "validate_path",
]
