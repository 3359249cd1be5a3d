"""Reading a module's revision: its files, its parameters, its saved publishing choices."""

from __future__ import annotations

import tempfile
from pathlib import Path

from modules.models import Module
from modules.repository import RepositoryError

from .. import config, source
from ..reader import read_entrypoint_isolated
from ..registry import get_registry


def export_commit(module: Module, sha: str, target: Path) -> list[str]:
    """Write the files of ``sha`` (no .git) to ``target``; drop symlinks leaving the tree.

    Returns what was left out, for the log.
    """
    return source.export(module.repository_path, sha, target).dropped


def read_parameters(module: Module, sha: str, entrypoint: str) -> dict:
    """The reader's result for ``entrypoint`` at ``sha`` (raises EntrypointError)."""
    with tempfile.TemporaryDirectory() as tmp:
        export_commit(module, sha, Path(tmp))
        return read_entrypoint_isolated(Path(tmp) / entrypoint, Path(tmp))


def existing_choices(module: Module, ref: str) -> config.PublishChoices | None:
    try:
        text = module.repository.read_file(ref, config.CONFIG_PATH).decode("utf-8", "replace")
        return config.parse(text)
    except (RepositoryError, config.ConfigError):
        return None


def image_repository(module: Module) -> str:
    return f"{get_registry().host()}/{module.namespace}/{module.slug}"
