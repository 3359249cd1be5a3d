"""The image builder interface and its errors, shared by every builder.

A builder turns a prepared build request (the exported code, the generated Dockerfile, tags and
labels) into an image in the registry. The IMAGE_BUILDER setting picks the implementation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from ..registry import PushTarget

LogFunction = Callable[..., None]


class BuildUserError(Exception):
    """The module's own content made the build fail (bad requirement, failing RUN)."""


class BuildPlatformError(Exception):
    """The platform could not build or push (engine down, registry unreachable)."""


@dataclass
class BuildRequest:
    context_dir: Path
    dockerfile: str
    repository: str  # registry/namespace/slug, without a tag
    tags: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    build_args: dict[str, str] = field(default_factory=dict)
    # What a builder without a Dockerfile needs (the code is in context_dir / "code").
    base_image: str = ""
    python_version: str = ""
    requirements_path: str = "requirements.txt"
    entrypoint: str = ""
    source_date_epoch: int = 0  # the commit time: every timestamp in the image
    # Where and as whom to push (the registry interface hands out short-lived credentials).
    target: PushTarget | None = None

    @property
    def primary(self) -> str:
        return f"{self.repository}:{self.tags[0]}"


class ImageBuilder(ABC):
    name = "abstract"

    @abstractmethod
    def build(self, request: BuildRequest, log: LogFunction) -> str:
        """Build and tag the image; return its id."""

    @abstractmethod
    def push(self, request: BuildRequest, log: LogFunction) -> str:
        """Push the image under its build tag(s); return the manifest digest.

        Version tags are not the builder's business: publishing sets them through the
        registry interface when the publication is marked published."""

    @abstractmethod
    def cleanup(self, request: BuildRequest) -> None:
        """Forget local tags of this build (the layers stay cached for the next one)."""


BUILDERS = {
    "auto": "publishing.builders.daemonless.DaemonlessBuilder",
    "daemonless": "publishing.builders.daemonless.DaemonlessBuilder",
    "docker": "publishing.builders.docker.DockerBuilder",
}


def builder_path() -> str:
    """IMAGE_BUILDER: ``auto`` (the daemonless builder), a short name, or a dotted path."""
    return BUILDERS.get(settings.IMAGE_BUILDER, settings.IMAGE_BUILDER)


def get_builder() -> ImageBuilder:
    return import_string(builder_path())()
