"""The parameter form and the input path choices shared by the experiment and visualization
pages: a version's visible parameters as form rows, submitted fields back into values."""

from __future__ import annotations

from django.http import HttpRequest

from modules.models import Module

from . import parameters

MAX_PATH_CHOICES = 500


def form_values(request: HttpRequest, schema: list[dict]) -> dict:
    """Form fields back into parameter values; empty fields keep the version's default."""
    values: dict = {}
    for parameter in parameters.visible_parameters(schema):
        name = parameter["name"]
        field = f"param-{name}"
        if parameters.is_switch(parameter):
            values[name] = field in request.POST
            continue
        raw = request.POST.get(field, "").strip()
        if raw == "":
            continue
        values[name] = raw.split() if parameters.is_list(parameter) else raw
    return values


def field_rows(schema: list[dict], submitted: dict) -> list[dict]:
    """The form's rows for the visible parameters, filled with what was submitted or the
    version's defaults."""
    rows = []
    for parameter in parameters.visible_parameters(schema):
        name = parameter["name"]
        value = submitted.get(name, parameter.get("default"))
        if isinstance(value, list):
            value = " ".join(map(str, value))
        rows.append(
            {
                **parameter,
                "field": f"param-{name}",
                "switch": parameters.is_switch(parameter),
                "list": parameters.is_list(parameter),
                "checked": bool(value) if parameters.is_switch(parameter) else False,
                "value": "" if value is None else value,
                "input_type": "number" if parameter.get("type") in ("int", "float") else "text",
                "step": "1" if parameter.get("type") == "int" else "any",
            }
        )
    return rows


def path_choices(dataset: Module, ref: str, hidden: frozenset[str] = frozenset()) -> list[str]:
    """Every file and folder of ``dataset`` at ``ref`` but ``hidden``, sorted (at most
    MAX_PATH_CHOICES); RepositoryError when ``ref`` cannot be read."""
    files = dataset.repository.list_files(ref)
    folders = {f.rsplit("/", 1)[0] for f in files if "/" in f}
    return sorted((set(files) | folders) - hidden)[:MAX_PATH_CHOICES]
