"""Parameter values against a published version's schema, and the command line they make.

The schema is what the publishing reader stored on the publication: one entry per argparse
argument (flags, action, type, nargs, default, required, choices, visible). Values are checked
here before anything is queued, so a bad value is a 400 naming the parameter, never a failed run.
"""

from __future__ import annotations

from typing import Any

CONVENTION = {"input_path", "output_path"}  # supplied by the platform, never by the user


class ParameterError(Exception):
    """A value does not fit the schema; the message names the parameter."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"Parameter '{name}': {message}")
        self.name = name


def user_parameters(schema: list[dict]) -> list[dict]:
    return [p for p in schema if p["name"] not in CONVENTION]


def visible_parameters(schema: list[dict]) -> list[dict]:
    return [p for p in user_parameters(schema) if p.get("visible", True)]


def is_switch(parameter: dict) -> bool:
    return parameter.get("action") in ("store_true", "store_false")


def is_list(parameter: dict) -> bool:
    nargs = parameter.get("nargs")
    return nargs in ("+", "*") or (
        isinstance(nargs, int) and not is_switch(parameter) and nargs > 1
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
    if not isinstance(value, list):
        raise ParameterError(parameter["name"], f"expected a list of values, got {value!r}.")
    nargs = parameter.get("nargs")
    if nargs == "+" and not value:
        raise ParameterError(parameter["name"], "needs at least one value.")
    if isinstance(nargs, int) and len(value) != nargs:
        raise ParameterError(parameter["name"], f"needs exactly {nargs} values, got {len(value)}.")
    return [_scalar(parameter, item) for item in value]


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
    ``store_false`` when false); a list repeats its values after one flag; an unset optional
    parameter is left out so the script's own default applies.
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
            if value == (parameter.get("action") == "store_true"):
                args.append(flag)
            continue
        rendered = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if flag:
            args += [flag, *rendered]
        else:
            positionals += rendered
    return args + positionals
