"""The builder that needs no Docker engine (``IMAGE_BUILDER=auto``, the default)."""

from .builder import DaemonlessBuilder

__all__ = ["DaemonlessBuilder"]
