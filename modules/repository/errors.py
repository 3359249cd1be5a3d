"""What goes wrong with a repository request: each message says what, for the user."""

from __future__ import annotations


class RepositoryError(Exception):
    """Something about the request does not fit the repository; the message says what."""


class NotFound(RepositoryError):
    pass


class InvalidPath(RepositoryError):
    pass


class CommitConflict(RepositoryError):
    pass
