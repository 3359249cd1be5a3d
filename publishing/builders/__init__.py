"""Image builders: one small interface (``base``), one module per implementation."""

from .base import (
    BuildPlatformError,
    BuildRequest,
    BuildUserError,
    ImageBuilder,
    LogFunction,
    get_builder,
)
from .docker import DockerBuilder

__all__ = [
    "BuildPlatformError",
    "BuildRequest",
    "BuildUserError",
    "DockerBuilder",
    "ImageBuilder",
    "LogFunction",
    "get_builder",
]
