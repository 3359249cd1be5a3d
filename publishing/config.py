"""mlreef.yml: what a publication builds, written into the module's repository.

A reader of the file sees exactly what the platform does with the module; the wizard starts
from it when it exists, and publish-on-push uses it instead of the wizard.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

CONFIG_PATH = "mlreef.yml"


class ConfigError(Exception):
    pass


@dataclass
class PublishChoices:
    entrypoint: str
    requirements_path: str = "requirements.txt"
    inference_entrypoint: str = ""
    parameters_file: str = ""
    base_environment: str = ""
    hidden_parameters: list[str] = field(default_factory=list)


def visible_parameters(parameters: list[dict], hidden: list[str]) -> list[dict]:
    return [{**p, "visible": p["name"] not in hidden} for p in parameters]


def render(
    module,
    choices: PublishChoices,
    parameters: list[dict],
    inference_parameters: list[dict],
    environment,
    image: str,
) -> str:
    entrypoints = {
        "training": {
            "path": choices.entrypoint,
            "parameters": visible_parameters(parameters, choices.hidden_parameters),
        }
    }
    if choices.inference_entrypoint:
        entrypoints["inference"] = {
            "path": choices.inference_entrypoint,
            "parameters": visible_parameters(inference_parameters, choices.hidden_parameters),
        }
    document = {
        "version": 1,
        "module": {
            "namespace": module.namespace,
            "slug": module.slug,
            "name": module.name,
            "kind": module.kind,
            "data_types": list(module.data_types),
        },
        "entrypoints": entrypoints,
        "parameters_file": choices.parameters_file or None,
        "requirements": choices.requirements_path,
        "base_environment": {
            "name": environment.name,
            "image": environment.image,
            "python": environment.python_version,
            "accelerator": str(environment.accelerator),
        },
        "image": image,
        "pipeline": [
            {"stage": "clone", "does": "check out the exact commit, without .git"},
            {
                "stage": "parse",
                "does": f"read the argparse parameters of {choices.entrypoint}"
                " statically (the code is not run)",
            },
            {
                "stage": "build",
                "does": f"FROM {environment.image}; install "
                f"{choices.requirements_path} in its own layer; copy the "
                f"code; ENTRYPOINT python {choices.entrypoint}",
            },
            {
                "stage": "push",
                "does": f"push {image}:<version> (and :latest from the default branch)",
            },
        ],
    }
    header = "# Written by the MLReef hub when publishing. Edit it, or publish again.\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def parse(text: str) -> PublishChoices:
    """Read the choices back out of an mlreef.yml (for the wizard and publish-on-push)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{CONFIG_PATH} is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{CONFIG_PATH} must be a mapping.")
    entrypoints = document.get("entrypoints") or {}
    training = entrypoints.get("training") or {}
    if not isinstance(training, dict) or not training.get("path"):
        raise ConfigError(f"{CONFIG_PATH} has no entrypoints.training.path.")
    inference = entrypoints.get("inference") or {}
    hidden = [
        p["name"]
        for entry in (training, inference)
        for p in (entry.get("parameters") or [])
        if isinstance(p, dict) and p.get("visible") is False and "name" in p
    ]
    environment = document.get("base_environment") or {}
    return PublishChoices(
        entrypoint=str(training["path"]),
        requirements_path=str(document.get("requirements") or "requirements.txt"),
        inference_entrypoint=str(inference.get("path") or ""),
        parameters_file=str(document.get("parameters_file") or ""),
        base_environment=str(environment.get("name") or "")
        if isinstance(environment, dict)
        else "",
        hidden_parameters=hidden,
    )
