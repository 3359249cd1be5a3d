"""typer: ``typer.run(fn)`` and ``typer.Typer()`` apps. Parameters come from the signature, with
``typer.Option``/``typer.Argument`` as defaults or inside ``Annotated[...]``; typer turns them
into click parameters (``learning_rate`` -> ``--learning-rate``, booleans -> ``--x/--no-x``)."""

from __future__ import annotations

from typing import Any

from ..values import NO_VALUE, Frame, FunctionRef, LibraryCall
from .click import split_declarations
from .common import as_json, parameter
from .signatures import signature

INFO = ("typer.Option", "typer.Argument")


def run_parameters(reader: Any, call: LibraryCall) -> list[dict]:
    target = call.args[0] if call.args else None
    if not isinstance(target, FunctionRef):
        reader._warn(call.module, call.node.lineno, "typer.run() of a function not found.")
        return []
    return function_parameters(reader, target)


def app_parameters(reader: Any, app: LibraryCall) -> list[dict]:
    """One command and no callback: typer runs that command; otherwise only the callback's
    options reach every command (sub-commands give a warning, as argparse's do)."""
    if len(app.commands) == 1 and app.callback is None:
        return function_parameters(reader, app.commands[0])
    if app.commands:
        reader._warn(
            app.module,
            app.node.lineno,
            "Sub-commands (typer commands) are not supported for publishing; only the "
            "app's callback options are read.",
        )
    return function_parameters(reader, app.callback) if app.callback else []


def function_parameters(reader: Any, function: FunctionRef) -> list[dict]:
    frame = Frame(function.module, function.module.globals)
    result = []
    for item in signature(reader, function):
        info = item.default if _is_info(item.default) else None
        default = item.default
        declarations: list = []
        if info is not None:
            default = info.args[0] if info.args else info.kwargs.get("default", NO_VALUE)
            declarations = list(info.args[1:])
        else:
            annotated = next((m for m in item.type.metadata if _is_info(m)), None)
            if annotated is not None:
                info = annotated
                declarations = list(annotated.args)
        argument = info is not None and info.name == "typer.Argument"
        if info is None and default is NO_VALUE:
            argument = True
        required = default is NO_VALUE or default is Ellipsis
        kw = info.kwargs if info is not None else {}
        if kw.get("hidden") is True:
            continue  # not in the help, not a parameter to offer (as with click)
        kind = item.type
        type_name, choices = kind.name, kind.choices
        if kind.enum is not None:
            type_name = None
        action, nargs = "store", None
        if kind.name == "list":
            item_type = kind.item
            type_name = item_type.name if item_type else "str"
            choices = item_type.choices if item_type else None
            if item_type and item_type.enum is not None:
                type_name = None
            action = "store" if argument else "append"
            nargs = ("+" if required else "*") if argument else None
        if type_name is None and choices is None:
            type_name = "str"
        if not all(isinstance(d, str) and d for d in declarations):
            line = getattr(item.default_node, "lineno", item.line)
            reader._warn(
                function.module,
                line,
                f"Option names of '{item.name}' computed at run time; skipped.",
            )
            continue
        if argument:
            flags: list[str] = []
        else:
            _, options, secondary = split_declarations(declarations)
            if not options:
                options = ["--" + item.name.replace("_", "-")]
                if type_name == "bool":  # typer ignores is_flag= (deprecated)
                    secondary = ["--no-" + item.name.replace("_", "-")]
            flags = [*options, *secondary]
            if type_name == "bool":
                action, nargs = ("BooleanOptionalAction" if secondary else "store_true"), 0
            if kw.get("count"):
                action, nargs, type_name = "count", 0, None
        node = item.default_node or function.node
        result.append(
            parameter(
                item.name,
                flags,
                action=action,
                type=type_name,
                nargs=nargs,
                default=None
                if required
                else as_json(reader, default, item.name, node, frame, "value"),
                required=bool(kw.get("required", required)),
                choices=list(choices) if choices is not None else None,
                help=kw.get("help") if isinstance(kw.get("help"), str) else None,
            )
        )
    return result


def _is_info(value: Any) -> bool:
    return isinstance(value, LibraryCall) and value.name in INFO
