"""Helpers shared by the style readers: one parameter in the reader's JSON shape, values."""

from __future__ import annotations

import ast
from typing import Any

from ..values import NO_VALUE, Builtin, EnumMember, Frame, FunctionRef, Library, LibraryCall


def parameter(
    name: str,
    flags: list[str],
    action: str = "store",
    type: str | None = None,  # noqa: A002 - the JSON field's name
    nargs: Any = None,
    default: Any = None,
    required: bool = False,
    choices: list | None = None,
    help: str | None = None,  # noqa: A002
) -> dict:
    return {
        "name": name,
        "flags": flags,
        "action": action,
        "type": type,
        "nargs": nargs,
        "default": default,
        "required": required,
        "choices": choices,
        "help": help,
    }


def as_json(reader: Any, value: Any, name: str, node: ast.AST, frame: Frame, enum_as: str) -> Any:
    """A default as the command line takes it (enum names or values, paths as text)."""
    if value is NO_VALUE or value is None:
        return None
    if isinstance(value, EnumMember):
        return (
            value.name
            if enum_as == "name"
            else reader._json_value(value.value, name, node, frame, what="default")
        )
    if isinstance(value, LibraryCall) and value.name in ("pathlib.Path", "pathlib.PurePath"):
        if len(value.args) == 1 and isinstance(value.args[0], str):
            return value.args[0]
    if isinstance(value, (list, tuple)) and any(isinstance(v, EnumMember) for v in value):
        return [as_json(reader, v, name, node, frame, enum_as) for v in value]
    return reader._json_value(value, name, node, frame, what="default")


def frame_of(call: LibraryCall) -> Frame:
    return Frame(call.module, call.module.globals)


def callable_name(value: Any) -> str | None:
    """A plain type's name (int, float, str, bool, Path...) or a user callable's."""
    if isinstance(value, Builtin):
        return value.name
    if isinstance(value, FunctionRef):
        return value.node.name
    if isinstance(value, Library):
        return value.name.rsplit(".", 1)[-1]
    return None
