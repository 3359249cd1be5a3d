"""What a stream reads: the small interface an app implements to have its objects streamed."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class StreamLine:
    """One line of a stream; ``number`` grows by at least one per line and is the SSE id."""

    number: int
    data: dict


class StreamSource(ABC):
    """Numbered lines and a state for objects named by a key (usually a primary key).

    Methods are plain, blocking ORM code: the stream server runs them in threads and calls
    them once per poll for all viewers of one object, never once per viewer.
    """

    @abstractmethod
    def lines_after(self, key: str, after: int, limit: int) -> list[StreamLine]:
        """Up to ``limit`` lines numbered above ``after``, in order."""

    @abstractmethod
    def state(self, key: str) -> dict | None:
        """The object's current state as JSON data (sent as ``status``); None once it is gone."""

    @abstractmethod
    def is_final(self, state: dict) -> bool:
        """Whether no line will be added any more (the stream then ends with ``end``)."""


@functools.cache
def get_source(name: str) -> StreamSource:
    """The source registered under ``name`` in ``settings.STREAM_SOURCES`` (dotted paths)."""
    try:
        path = settings.STREAM_SOURCES[name]
    except KeyError:
        raise LookupError(f"no stream source named {name!r}") from None
    return import_string(path)()
