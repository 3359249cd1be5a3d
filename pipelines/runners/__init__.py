"""Runners: one small interface that starts a module's image on prepared folders, chosen by
the RUNNER setting (as IMAGE_BUILDER chooses a builder). This package delivers the Docker
engine runner; a Kubernetes or daemon-less one implements the same few methods."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

LogFunction = Callable[..., None]

INPUT_MOUNT = "/mlreef/input"
OUTPUT_MOUNT = "/mlreef/output"
# Every container a runner starts for a run carries this label (the run's id) and a name with
# this prefix (recorded on the run): how the hub's own containers are told apart on an engine.
RUN_LABEL = "ai.mlreef.run"
CONTAINER_PREFIX = "mlreef-run-"


class RunnerError(Exception):
    """The platform could not run the image (engine unreachable, pull refused)."""


@dataclass
class ContainerSpec:
    image: str  # repository@sha256:…, never a tag
    arguments: list[str]  # after the image's entry point
    input_dir: Path  # mounted read-only at INPUT_MOUNT
    output_dir: Path  # mounted writable at OUTPUT_MOUNT
    cpus: float
    memory_mb: int
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    gpus: bool = False  # all of the worker's GPUs (GPU workers take RUN_GPU_QUEUE)


@dataclass
class ExitStatus:
    code: int
    oom_killed: bool = False


@dataclass
class RunContainer:
    """A run container as the engine lists it (any state)."""

    id: str
    name: str
    created: float  # Unix time


class Execution(ABC):
    """One started container."""

    @abstractmethod
    def read_output(self, timeout: float) -> list[str]:
        """Lines printed since the last call, waiting up to ``timeout`` seconds for some."""

    @abstractmethod
    def poll(self) -> ExitStatus | None:
        """The exit status once the container stopped and its output is read, else None."""

    @abstractmethod
    def stop(self) -> None:
        """Kill the container now (cancel, time limit)."""

    @abstractmethod
    def remove(self) -> None:
        """Remove the container; always called, also after failures."""


class Runner(ABC):
    name = "abstract"

    @abstractmethod
    def pull(self, image: str, log: LogFunction, credentials: tuple[str, str] | None) -> None:
        """Make ``image`` (by digest) available to the engine, logging in with
        ``(username, password)`` when given."""

    @abstractmethod
    def start(self, spec: ContainerSpec) -> Execution:
        """Create and start the container."""

    @abstractmethod
    def run_containers(self) -> list[RunContainer]:
        """The containers on this runner's engine carrying RUN_LABEL and CONTAINER_PREFIX,
        whatever their state (what a worker that died leaves behind is among them)."""

    @abstractmethod
    def remove_container(self, container_id: str) -> None:
        """Kill and remove one of them (one already gone is fine)."""


def get_runner() -> Runner:
    return import_string(settings.RUNNER)()
