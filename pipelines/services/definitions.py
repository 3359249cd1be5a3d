"""Saved data pipelines: YAML files at ``.mlreef/pipelines/<slug>.yml`` in the dataset
repository, on its default branch.

The repository is the only store, so a definition edited with git and pushed is what the
editor, the list and "run" read next; the API takes the same document as JSON or YAML:

    name: Prepare
    ref: master
    inputs: [data.csv]
    steps:
      - module: alice/normalise
        version: 1
        parameters: {scale: 2}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from django.utils.text import slugify

from accounts.models import User
from modules.models import Module
from modules.repository import NotFound, RepositoryError

from ..models import PipelineKind, PipelineRun
from .common import RunError
from .data_pipelines import PipelineRequest, StepRequest, resolve_step, start_pipeline

PIPELINES_DIR = ".mlreef/pipelines"
MAX_DEFINITION_SIZE = 256 * 1024


@dataclass
class Definition:
    name: str
    steps: list[StepRequest]
    ref: str = ""
    inputs: list[str] = field(default_factory=list)
    commit: str = ""  # where it was read from

    @property
    def slug(self) -> str:
        return slugify(self.name)[:80]

    @property
    def path(self) -> str:
        return f"{PIPELINES_DIR}/{self.slug}.yml"

    def as_document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ref": self.ref,
            "inputs": list(self.inputs),
            "steps": [
                {"module": s.module, "version": s.version, "parameters": dict(s.parameters)}
                for s in self.steps
            ],
        }

    def as_yaml(self) -> str:
        return yaml.safe_dump(self.as_document(), sort_keys=False, allow_unicode=True)


def parse_yaml(text: str | bytes) -> Definition:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RunError(f"The pipeline is not valid YAML: {error}") from None
    return parse_document(document)


def parse_document(document: Any) -> Definition:
    """The document's shape, checked field by field (the steps are checked when saved/run)."""
    if not isinstance(document, dict):
        raise RunError("A pipeline is a mapping with name, ref, inputs and steps.")
    unknown = set(document) - {"name", "ref", "inputs", "steps", "dataset"}
    if unknown:
        raise RunError(f"Unknown pipeline fields: {', '.join(sorted(map(str, unknown)))}.")
    name = document.get("name")
    if not isinstance(name, str) or not slugify(name):
        raise RunError("name: give the pipeline a name with letters or digits.")
    ref = document.get("ref") or ""
    if not isinstance(ref, str):
        raise RunError("ref: a branch, tag or commit.")
    inputs = document.get("inputs") or []
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not all(isinstance(p, str) for p in inputs):
        raise RunError("inputs: a list of paths in the dataset.")
    raw_steps = document.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise RunError("steps: a list of at least one step.")
    steps = []
    for number, raw in enumerate(raw_steps, 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("module"), str):
            raise RunError(f"Step {number}: a mapping with module, version and parameters.")
        extra = set(raw) - {"module", "version", "parameters"}
        if extra:
            raise RunError(f"Step {number}: unknown fields {', '.join(sorted(map(str, extra)))}.")
        values = raw.get("parameters") or {}
        if not isinstance(values, dict):
            raise RunError(f"Step {number}: parameters is a mapping of name: value.")
        version = raw.get("version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise RunError(f"Step {number}: version is a whole number.")
        steps.append(StepRequest(module=raw["module"], version=version, parameters=values))
    return Definition(name=name.strip(), steps=steps, ref=ref, inputs=list(inputs))


def check(user: User, dataset: Module, definition: Definition) -> None:
    """Refuse a definition that could not run: unknown modules, wrong kinds, bad values."""
    for number, step in enumerate(definition.steps, 1):
        resolve_step(user, PipelineKind.DATA_PIPELINE, number, step)


def list_saved(dataset: Module) -> list[Definition]:
    """The definitions on the default branch; unreadable files are skipped."""
    if dataset.repository.is_empty():
        return []
    try:
        entries = dataset.repository.tree(dataset.default_branch, PIPELINES_DIR)
    except (NotFound, RepositoryError):
        return []
    found = []
    for entry in entries:
        if entry.name.endswith((".yml", ".yaml")):
            try:
                found.append(load_saved(dataset, entry.name.rsplit(".", 1)[0]))
            except RunError:
                continue
    return found


def load_saved(dataset: Module, slug: str) -> Definition:
    if dataset.repository.is_empty():
        raise RunError(f"No saved pipeline '{slug}'.")
    branch = dataset.default_branch
    for extension in ("yml", "yaml"):
        path = f"{PIPELINES_DIR}/{slug}.{extension}"
        try:
            text = dataset.repository.read_file(branch, path, max_size=MAX_DEFINITION_SIZE)
        except (NotFound, RepositoryError):
            continue
        definition = parse_yaml(text)
        definition.commit = dataset.repository.resolve(branch)
        return definition
    raise RunError(f"No saved pipeline '{slug}' in {dataset.full_name}.")


def save(user: User, dataset: Module, definition: Definition) -> str:
    """Commit the definition as YAML on the default branch, authored by ``user``."""
    from modules.services import commit_files

    if not dataset.is_dataset:
        raise RunError(f"{dataset.full_name} is not a dataset.")
    if not dataset.can_write(user):
        raise RunError(f"You need write access to {dataset.full_name} to save a pipeline.")
    check(user, dataset, definition)
    try:
        return commit_files(
            dataset,
            user,
            dataset.default_branch,
            {definition.path: definition.as_yaml().encode()},
            f"Save data pipeline {definition.name}",
        )
    except RepositoryError as error:
        if "nothing changed" in str(error):
            return dataset.repository.resolve(dataset.default_branch)
        raise RunError(str(error)) from None


def run_saved(user: User, dataset: Module, slug: str, use_cache: bool = True) -> PipelineRun:
    definition = load_saved(dataset, slug)
    return start_pipeline(user, request_for(dataset, definition, use_cache, saved=True))


def request_for(
    dataset: Module, definition: Definition, use_cache: bool = True, saved: bool = False
) -> PipelineRequest:
    return PipelineRequest(
        dataset=dataset,
        steps=definition.steps,
        name=definition.name,
        ref=definition.ref,
        input_paths=definition.inputs,
        use_cache=use_cache,
        saved=saved,
        definition_commit=definition.commit,
    )
