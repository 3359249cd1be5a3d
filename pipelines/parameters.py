"""Parameter values against a published version's schema, and the command line they make.

The schema is what the publishing reader stored on the publication: one entry per argparse
argument (flags, action, type, nargs, default, required, choices, visible). Values are checked
here before anything is queued, so a bad value is a 400 naming the parameter, never a failed run.
"""

from __future__ import annotations

import json
from typing import Any

CONVENTION = {
    "input_path",
    "output_path",
}  # supplied by the platform, never by the user
SWITCHES = ("store_true", "store_false", "BooleanOptionalAction")


class ParameterError(Exception):
    """A value does not fit the schema; the message names the parameter."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"Parameter '{name}': {message}")
        self.name = name


def user_parameters(schema: list[dict]) -> list[dict]:
    """One entry per parameter: a second action for the same name (HfArgumentParser's
    ``--no_x`` twin of a boolean) is the same parameter, whose default is the first's."""
    seen: set[str] = set()
    result = []
    for parameter in schema:
        if parameter["name"] not in CONVENTION and parameter["name"] not in seen:
            seen.add(parameter["name"])
            result.append(parameter)
    return result


def visible_parameters(schema: list[dict]) -> list[dict]:
    return [p for p in user_parameters(schema) if p.get("visible", True)]


def is_switch(parameter: dict) -> bool:
    """On or off: argparse's store_true/store_false, a ``--x/--no-x`` pair (argparse's
    BooleanOptionalAction, click, typer, absl), or HfArgumentParser's ``--x [true|false]``."""
    return parameter.get("action") in SWITCHES or (
        parameter.get("type") == "bool" and parameter.get("nargs") == "?"
    )


def is_counter(parameter: dict) -> bool:
    return parameter.get("action") == "count"


def is_list(parameter: dict) -> bool:
    """Several values: nargs, a repeated option (append: click's multiple, absl's multi_*,
    typer's List) or a list-typed option that takes them in one word (absl, jsonargparse)."""
    nargs = parameter.get("nargs")
    return (
        nargs in ("+", "*")
        or (isinstance(nargs, int) and not is_switch(parameter) and nargs > 1)
        or parameter.get("action") == "append"
        or (parameter.get("type") == "list" and parameter.get("action") == "store")
    )


def _scalar(parameter: dict, value: Any) -> Any:
    kind = parameter.get("type")
    name = parameter["name"]
    if isinstance(value, bool) and kind in ("int", "float"):
        raise ParameterError(
            name, f"expected a{'n' if kind == 'int' else ''} {kind}, got {value!r}."
        )
    try:
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            value = int(str(value).strip()) if isinstance(value, str) else int(value)
        elif kind == "float":
            value = float(str(value).strip()) if isinstance(value, str) else float(value)
        elif isinstance(value, dict | list):
            raise ValueError
        else:
            value = str(value)
    except (TypeError, ValueError):
        expected = {"int": "a whole number", "float": "a number"}.get(kind or "", "a string")
        raise ParameterError(name, f"expected {expected}, got {value!r}.") from None
    choices = parameter.get("choices")
    if choices and value not in choices and str(value) not in map(str, choices):
        raise ParameterError(name, f"{value!r} is not one of {', '.join(map(str, choices))}.")
    return value


def _bool(parameter: dict, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ParameterError(parameter["name"], f"expected true or false, got {value!r}.")


def _list(parameter: dict, value: Any) -> list:
    if isinstance(value, str):
        value = value.split()
    if parameter.get("type") == "list":  # the items' type is not in the schema: as written
        return [_literal(item) for item in _list({**parameter, "type": None}, value)]
    if not isinstance(value, list):
        raise ParameterError(parameter["name"], f"expected a list of values, got {value!r}.")
    nargs = parameter.get("nargs")
    if nargs == "+" and not value:
        raise ParameterError(parameter["name"], "needs at least one value.")
    if isinstance(nargs, int) and len(value) != nargs:
        raise ParameterError(parameter["name"], f"needs exactly {nargs} values, got {len(value)}.")
    return [_scalar(parameter, item) for item in value]


def _literal(text: str) -> Any:
    """``"4"`` -> 4, ``"0.5"`` -> 0.5, other words stay text (a list item of unknown type)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def validate(schema: list[dict], values: dict[str, Any]) -> dict[str, Any]:
    """Every user parameter's value (given or default), checked; hidden ones keep defaults."""
    if not isinstance(values, dict):
        raise ParameterError("parameters", "expected an object of name: value.")
    by_name = {p["name"]: p for p in user_parameters(schema)}
    for name in values:
        if name in CONVENTION:
            raise ParameterError(name, "is set by the platform (the run's input and output).")
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            raise ParameterError(name, f"this version has no such parameter (known: {known}).")
        if not by_name[name].get("visible", True):
            raise ParameterError(name, "is hidden in this version and keeps its default.")
    result: dict[str, Any] = {}
    for name, parameter in by_name.items():
        value = values.get(name, parameter.get("default"))
        if value is None or (value == "" and parameter.get("type") in ("int", "float")):
            if parameter.get("required"):
                raise ParameterError(name, "is required.")
            result[name] = None
        elif is_switch(parameter):
            result[name] = _bool(parameter, value)
        elif is_counter(parameter):
            result[name] = _scalar({**parameter, "type": "int"}, value)
            if result[name] < 0:
                raise ParameterError(name, "cannot be negative.")
        elif is_list(parameter):
            result[name] = _list(parameter, value)
        else:
            result[name] = _scalar(parameter, value)
    return result


def _flag(parameter: dict) -> str:
    flags = parameter.get("flags") or []
    long = [f for f in flags if f.startswith("--")]
    return (long or flags)[0] if flags else ""


def command(
    schema: list[dict], values: dict[str, Any], input_path: str, output_path: str
) -> list[str]:
    """``--input-path IN --output-path OUT`` then each parameter as its argparse flags define it.

    A switch is passed only when it differs from its resting state (``store_true`` when true,
    ``store_false`` when false, a ``--x/--no-x`` pair or HF's ``--x false`` when it differs from
    the default); a list repeats its values after one flag, a repeated option (append) repeats
    the flag, a list-typed option takes one word; a counter repeats its flag. An unset optional
    parameter is left out so the script's own default applies, and so is a repeated or
    list-typed option left at its default (argparse's append would add to it).
    """
    by_name = {p["name"]: p for p in schema}
    args = [
        _flag(by_name.get("input_path", {"flags": ["--input-path"]})) or "--input-path",
        input_path,
        _flag(by_name.get("output_path", {"flags": ["--output-path"]})) or "--output-path",
        output_path,
    ]
    positionals: list[str] = []
    for parameter in user_parameters(schema):
        value = values.get(parameter["name"])
        flag = _flag(parameter)
        if value is None:
            continue
        if is_switch(parameter):
            args += _switch(parameter, bool(value))
            continue
        if is_counter(parameter):
            args += [flag] * int(value)
            continue
        if parameter.get("action") == "append" or parameter.get("type") == "list":
            if value != parameter.get("default"):
                args += _several(parameter, flag, value)
            continue
        rendered = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if flag:
            args += [flag, *rendered]
        else:
            positionals += rendered
    return args + positionals


def _switch(parameter: dict, value: bool) -> list[str]:
    action = parameter.get("action")
    if action in ("store_true", "store_false"):
        return [_flag(parameter)] if value == (action == "store_true") else []
    if value == bool(parameter.get("default")):
        return []
    flags = [f for f in parameter.get("flags") or [] if f.startswith("--")]
    if action != "BooleanOptionalAction":  # HfArgumentParser: --x true / --x false
        return [_flag(parameter), "true" if value else "false"]
    if value:
        return flags[:1]
    # The negative spelling: --no-x (argparse, click, typer) or --nox (absl), else click's
    # secondary option (``--shout/--quiet``), which is written after the first.
    negative = [f for f in flags[1:] if f.startswith("--no")] or flags[1:]
    return negative[:1]


def _several(parameter: dict, flag: str, values: Any) -> list[str]:
    items = [str(v) for v in values] if isinstance(values, list) else [str(values)]
    if parameter.get("action") == "append":
        return [word for item in items for word in (flag, item)]
    # One word: jsonargparse (which also has --x+) reads a JSON/YAML list; absl's
    # DEFINE_list and fire read "a,b".
    if any(f.endswith("+") for f in parameter.get("flags") or []):
        return [flag, json.dumps(values if isinstance(values, list) else [values])]
    return [flag, ",".join(items)]
