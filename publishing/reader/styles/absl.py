"""absl flags (and TensorFlow's ``tf.flags``/``tf.app.flags``/``tf.compat.v1.flags``, which are
absl): ``flags.DEFINE_*`` in the script and its local modules, in the order they run, and
``flags.mark_flag_as_required``. Booleans are ``--x``/``--nox`` pairs; ``multi_*`` repeat."""

from __future__ import annotations

from typing import Any

from ..values import ClassRef, EnumMember, LibraryCall
from .annotations import enum_members
from .common import as_json, frame_of, parameter

# DEFINE_<kind>: (type, positional arguments after name and default, action)
KINDS = {
    "string": ("str", ("help",), "store"),
    "integer": ("int", ("help", "lower_bound", "upper_bound"), "store"),
    "float": ("float", ("help", "lower_bound", "upper_bound"), "store"),
    "bool": ("bool", ("help",), "BooleanOptionalAction"),
    "boolean": ("bool", ("help",), "BooleanOptionalAction"),
    "enum": (None, ("enum_values", "help"), "store"),
    "enum_class": (None, ("enum_class", "help"), "store"),
    "list": ("list", ("help",), "store"),
    "spaceseplist": ("list", ("help",), "store"),
    "multi_string": ("str", ("help",), "append"),
    "multi_integer": ("int", ("help", "lower_bound", "upper_bound"), "append"),
    "multi_float": ("float", ("help", "lower_bound", "upper_bound"), "append"),
    "multi_enum": (None, ("enum_values", "help"), "append"),
    "multi_enum_class": (None, ("enum_class", "help"), "append"),
}


def parameters(reader: Any) -> list[dict]:
    result = []
    for call in reader.absl_flags:
        found = flag_parameter(reader, call)
        if found is not None:
            result.append(found)
    return result


def flag_parameter(reader: Any, call: LibraryCall) -> dict | None:
    kind = call.name.removeprefix("absl.flags.DEFINE_")
    if kind not in KINDS:
        reader._warn(call.module, call.node.lineno, f"flags.DEFINE_{kind} is not read.")
        return None
    type_name, more, action = KINDS[kind]
    values = dict(zip(("name", "default", *more), call.args, strict=False))
    values.update(call.kwargs)
    name = values.get("name")
    if not isinstance(name, str):
        reader._warn(call.module, call.node.lineno, "A flag whose name is computed; skipped.")
        return None
    choices = None
    if "enum_values" in more:
        options = values.get("enum_values")
        choices = list(options) if isinstance(options, (list, tuple)) else None
    if "enum_class" in more:
        cls = values.get("enum_class")
        choices = [n for n, _ in enum_members(cls)] if isinstance(cls, ClassRef) else None
    default = _parsed_default(kind, values.get("default"))
    if "enum_class" in more and choices is not None:
        default = _member_names(default, choices, values.get("case_sensitive", True))
    boolean = action == "BooleanOptionalAction"
    frame = frame_of(call)
    help_text = values.get("help")
    return parameter(
        name,
        ["--" + name, "--no" + name] if boolean else ["--" + name],
        action=action,
        type=type_name,
        nargs=0 if boolean else None,
        default=as_json(reader, default, name, call.node, frame, "name"),
        required=bool(values.get("required")) or name in reader.required_flags,
        choices=choices,
        help=help_text if isinstance(help_text, str) and help_text else None,
    )


def _parsed_default(kind: str, default: Any) -> Any:
    """absl parses a string default as it would parse the command line."""
    if not isinstance(default, str):
        if kind.startswith("multi") and default is not None and not isinstance(default, list):
            return [default.name if isinstance(default, EnumMember) else default]
        return default
    try:
        if kind in ("integer", "multi_integer"):
            value: Any = int(default, 0)
        elif kind in ("float", "multi_float"):
            value = float(default)
        elif kind in ("bool", "boolean"):
            return default.lower() in ("true", "t", "1")
        elif kind == "list":
            return [part.strip() for part in default.split(",") if part.strip()]
        elif kind == "spaceseplist":
            return default.split()
        else:
            value = default
    except ValueError:
        return default
    return [value] if kind.startswith("multi") else value


def _member_names(default: Any, names: list[str], case_sensitive: Any) -> Any:
    """An enum_class flag's default given by name: absl parses it to the member (the name as
    the class spells it, matched case-insensitively when ``case_sensitive=False``)."""
    if isinstance(default, list):
        return [_member_names(item, names, case_sensitive) for item in default]
    if not isinstance(default, str):
        return default
    for name in names:
        if name == default or (case_sensitive is False and name.lower() == default.lower()):
            return name
    return default
