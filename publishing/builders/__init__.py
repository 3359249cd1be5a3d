"""Image builders: one small interface (``base``), one module per implementation."""

from .base import (
    BuildPlatformError,
    BuildRequest,
    BuildUserError,
    ImageBuilder,
    LogFunction,
    builder_path,
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
    "builder_path",
    "get_builder",
]
