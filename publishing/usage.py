"""How to run a published version: the commands shown on the module and version pages.

Only the parameters left "shown" in the wizard appear here (and in the parameter table); the
platform's two folder flags are always shown, mounted as volumes.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from .models import Publication, Status
from .reader import CONVENTION_FLAGS

INPUT_MOUNT = "/data/input"
OUTPUT_MOUNT = "/data/output"
PLATFORM_MOUNTS = {"--input-path": INPUT_MOUNT, "--output-path": OUTPUT_MOUNT}
# Underscore spellings, where the script's library declares them so (absl, fire, HfArgumentParser).
PLATFORM_MOUNTS.update({"--input_path": INPUT_MOUNT, "--output_path": OUTPUT_MOUNT})
# Terminal control sequences (colours from pip, docker, tqdm): CSI sequences and 2-byte escapes.
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def is_platform_parameter(parameter: dict) -> bool:
    return any(flag in CONVENTION_FLAGS for flag in parameter.get("flags") or [])


def shown_parameters(publication: Publication) -> list[dict]:
    """The parameters users see, in the script's order; hidden ones are left out."""
    return [
        parameter
        for parameter in publication.parameters or []
        if parameter.get("visible", True) or is_platform_parameter(parameter)
    ]


def _flag(parameter: dict) -> str:
    flags = parameter.get("flags") or []
    long_flags = [flag for flag in flags if flag.startswith("--")]
    return (long_flags or flags)[0] if flags else ""


def _values(value) -> list[str]:
    if isinstance(value, list):
        return [_value(item) for item in value]
    return [_value(value)]


def _value(value) -> str:
    if isinstance(value, bool):
        return str(value)
    return shlex.quote(str(value))


def _arguments(parameter: dict) -> list[str]:
    """The words that pass this parameter's default explicitly ([] when nothing to pass)."""
    flag = _flag(parameter)
    default = parameter.get("default")
    placeholder = f"<{parameter.get('name') or 'value'}>"
    if parameter.get("action") == "BooleanOptionalAction":
        flags = parameter.get("flags") or []
        negative = [f for f in flags if f.startswith("--no-")]
        positive = [f for f in flags if not f.startswith("--no-")]
        chosen = positive if default else negative
        return chosen[:1]
    if parameter.get("nargs") == 0:
        # A switch (store_true, count, ...): leaving it out is its default.
        return []
    if default is None:
        if not parameter.get("required"):
            return []
        values = [placeholder]
    else:
        values = _values(default)
    return [flag, *values] if flag else values


@dataclass
class Usage:
    image: str
    registry: str
    private: bool
    pull: str
    login: str
    run_lines: list[str]
    inference_lines: list[str] = field(default_factory=list)

    @property
    def run(self) -> str:
        return " \\\n  ".join(self.run_lines)

    @property
    def inference(self) -> str:
        """The inference entry point, run through the image's Python (empty when none)."""
        return " \\\n  ".join(self.inference_lines)

    @property
    def text(self) -> str:
        commands = [self.login] if self.login else []
        return "\n".join([*commands, self.pull, self.run, *filter(None, [self.inference])])


def usage_for(publication: Publication) -> Usage | None:
    """Pull, login and run commands for a pushed version; None before it has an image."""
    image = publication.image_reference
    if publication.status != Status.PUBLISHED or not image:
        return None
    registry = image.split("/", 1)[0]
    private = not publication.module.is_public
    mounts = [f'-v "$PWD/input:{INPUT_MOUNT}:ro"', f'-v "$PWD/output:{OUTPUT_MOUNT}"']
    # Images need no network to run: every dependency is inside.
    lines = ["docker run --rm --network none", *mounts, image]
    options: list[str] = []
    positionals: list[str] = []
    for parameter in shown_parameters(publication):
        flag = _flag(parameter)
        if flag in PLATFORM_MOUNTS:
            options.append(f"{flag} {PLATFORM_MOUNTS[flag]}")
            continue
        words = _arguments(parameter)
        if not words:
            continue
        (options if parameter.get("flags") else positionals).append(" ".join(words))
    platform = [line for line in options if line.split(" ", 1)[0] in PLATFORM_MOUNTS]
    others = [line for line in options if line not in platform]
    return Usage(
        image=image,
        registry=registry,
        private=private,
        pull=f"docker pull {image}",
        login=f"docker login {registry}" if private else "",
        run_lines=lines + platform + others + positionals,
        inference_lines=(
            [
                "docker run --rm --network none",
                *mounts,
                f"--entrypoint python {image}",
                f"/app/{publication.inference_entrypoint}",
            ]
            if publication.inference_entrypoint
            else []
        ),
    )
