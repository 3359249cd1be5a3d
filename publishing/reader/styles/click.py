"""click: ``@click.command``/``@click.group`` callbacks and their ``@click.option``/
``@click.argument`` decorators (also through helper decorators of the repository), read the way
click builds its parameters. typer reuses the type and flag rules."""

from __future__ import annotations

from typing import Any

from ..values import Builtin, ClassRef, EnumMember, FunctionRef, Library, LibraryCall
from .annotations import enum_members
from .common import as_json, frame_of, parameter

CLICK_TYPES = {
    "click.INT": "int",
    "click.IntRange": "int",
    "click.FLOAT": "float",
    "click.FloatRange": "float",
    "click.STRING": "str",
    "click.BOOL": "bool",
    "click.Path": "Path",
    "click.File": "File",
    "click.UUID": "UUID",
    "click.DateTime": "DateTime",
    "click.Tuple": "Tuple",
}


def _prefix(flag: str) -> str:
    return flag[: len(flag) - len(flag.lstrip("-/+"))]


def split_declarations(declarations: list[str]) -> tuple[str | None, list[str], list[str]]:
    """(explicit name, options, secondary options) as click splits ``"--x/--no-x"``."""
    name, options, secondary = None, [], []
    for declaration in declarations:
        split_char = ";" if declaration[:1] == "/" else "/"
        if declaration.isidentifier():
            name = declaration
        elif split_char in declaration:
            first, second = declaration.split(split_char, 1)
            if first.rstrip():
                options.append(first.rstrip())
            if second.lstrip():
                secondary.append(second.lstrip())
        else:
            options.append(declaration)
    return name, options, secondary


def option_name(options: list[str]) -> str:
    """click's choice: the option with the longest prefix, first written wins."""
    best = sorted(options, key=lambda o: -len(_prefix(o)))[0]
    return best.lstrip("-/+").replace("-", "_").lower()


def click_type(value: Any, enum_as: str) -> tuple[str | None, list | None, bool]:
    """(type name, choices, known) of a ``type=`` value."""
    if isinstance(value, LibraryCall) and value.name == "click.Choice":
        options = value.args[0] if value.args else value.kwargs.get("choices")
        if isinstance(options, ClassRef) and options.is_enum():
            members = enum_members(options)
            return None, [n if enum_as == "name" else v for n, v in members], True
        if isinstance(options, (list, tuple)) and all(isinstance(o, str) for o in options):
            return None, list(options), True
        return None, None, False
    name = value.name if isinstance(value, (Library, LibraryCall)) else None
    if name in CLICK_TYPES:
        return CLICK_TYPES[name], None, True
    if isinstance(value, Builtin) and value.name in ("int", "float", "str", "bool"):
        return value.name, None, True
    if isinstance(value, FunctionRef):
        return value.node.name, None, True
    if isinstance(value, ClassRef) and value.is_enum():
        members = enum_members(value)
        return None, [n if enum_as == "name" else v for n, v in members], True
    return None, None, False


def inferred_type(default: Any) -> str:
    """click's type when none is given: from the default (the first item of a tuple)."""
    if isinstance(default, (list, tuple)) and default:
        default = default[0]
    for kind in (bool, int, float):
        if type(default) is kind:
            return kind.__name__
    return "str"


def click_parameter(reader: Any, call: LibraryCall) -> dict | None:
    frame = frame_of(call)
    declarations = call.args
    if not all(isinstance(d, str) and d for d in declarations):
        reader._warn(call.module, call.node.lineno, "Option names computed at run time; skipped.")
        return None
    kw = call.kwargs
    argument = call.name.endswith("argument")
    if kw.get("hidden") is True:
        return None  # not in the help, not a parameter to offer
    name, options, secondary = split_declarations(declarations)
    if argument:
        name = (name or declarations[0]).replace("-", "_").lower()
        flags: list[str] = []
    else:
        if not options:
            reader._warn(call.module, call.node.lineno, "An option without flags; skipped.")
            return None
        name = name or option_name(options)
        flags = [*options, *secondary]
    has_default = "default" in kw
    default = kw.get("default")
    type_name, choices, known = (
        click_type(kw["type"], "name") if "type" in kw else (inferred_type(default), None, True)
    )
    if not known:
        type_name = frame.module.segment(_keyword(call, "type")) if "type" in kw else None
    raw_nargs = kw.get("nargs", 1)
    nargs = None if raw_nargs == 1 else raw_nargs
    action = "store"
    is_flag = kw.get("is_flag") or bool(secondary) or "flag_value" in kw
    if argument:
        required = bool(kw.get("required", not has_default and raw_nargs != -1))
        if raw_nargs == -1:
            nargs = "+" if required else "*"
    else:
        required = bool(kw.get("required", False))
        if kw.get("count"):
            action, nargs, type_name = "count", 0, None
            default = default if has_default else 0
            has_default = True
        elif is_flag and secondary:
            action, nargs, type_name = "BooleanOptionalAction", 0, "bool"
        elif is_flag:
            action = "store_false" if kw.get("flag_value") is False else "store_true"
            nargs, type_name = 0, "bool"
        elif kw.get("multiple"):
            action = "append"
    if isinstance(default, EnumMember) and choices is None and not known:
        choices = [n for n, _ in enum_members(default.cls)]
    help_text = kw.get("help") if isinstance(kw.get("help"), str) else None
    return parameter(
        name,
        flags,
        action=action,
        type=type_name,
        nargs=nargs,
        default=as_json(reader, default, name, call.node, frame, "name") if has_default else None,
        required=required,
        choices=choices,
        help=help_text or None,
    )


def _keyword(call: LibraryCall, name: str):
    return next((k.value for k in call.node.keywords if k.arg == name), call.node)
