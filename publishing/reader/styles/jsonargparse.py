"""jsonargparse: ``CLI(fn)``/``CLI(Class)``, and its ArgumentParser's ``add_argument``,
``add_function_arguments``, ``add_class_arguments`` and dataclass types (nested fields give dotted
names, ``--data.path``). The library's ``--config``/``--print_config`` are not listed."""

from __future__ import annotations

import ast
from typing import Any

from ..values import NO_VALUE, Argument, ClassRef, Frame, FunctionRef, LibraryCall, Parser
from .annotations import TypeInfo, read_annotation
from .docstrings import parameter_help
from .hf import dataclass_fields, factory_value
from .signatures import constructor, signature

PARSER_METHODS = {
    "add_class_arguments",
    "add_function_arguments",
    "add_method_arguments",
    "add_dataclass_arguments",
}


def cli_parameters(reader: Any, call: LibraryCall) -> list[dict]:
    target = call.args[0] if call.args else call.kwargs.get("components")
    if isinstance(target, ClassRef):
        init = constructor(target)
        reader._warn(
            call.module,
            call.node.lineno,
            f"The methods of {target.name} are "
            "jsonargparse sub-commands; only the constructor's arguments are read.",
        )
        items = signature(reader, init, skip_first=True) if init else []
        helps = parameter_help(ast.get_docstring(target.node)) if target.node else {}
    elif isinstance(target, FunctionRef):
        items, helps = signature(reader, target), {}
    else:
        reader._warn(
            call.module,
            call.node.lineno,
            "CLI() of components not known statically: its parameters cannot be read.",
        )
        return []
    frame = Frame(call.module, call.module.globals)
    arguments = [
        _argument(
            reader,
            item.name,
            item.type,
            item.default,
            item.help or helps.get(item.name),
            item.line,
            frame,
            item.default_node or call.node,
            positional=True,
        )
        for item in items
    ]
    return [a.as_json() for a in arguments]


def parser_method(reader: Any, parser: Parser, name: str, node: ast.Call, frame: Frame) -> bool:
    """jsonargparse's own parser methods; True when handled here."""
    if name == "add_argument":
        action = next((k.value for k in node.keywords if k.arg == "action"), None)
        if action is not None and "ActionConfigFile" in frame.module.segment(action):
            return True  # --config: the library's
        kind = next((k.value for k in node.keywords if k.arg == "type"), None)
        value = reader._eval(kind, frame) if kind is not None else None
        if isinstance(value, ClassRef) and value.is_dataclass():
            args, _, _ = reader._call_arguments(node, frame)
            key = args[0].lstrip("-") if args and isinstance(args[0], str) else value.name
            _add_nested(reader, parser, value, key, frame, node)
            return True
        if kind is not None and isinstance(kind, (ast.Subscript, ast.BinOp)):
            return _add_type_hint(reader, parser, read_annotation(reader, kind, frame), node, frame)
        return False
    if name not in PARSER_METHODS:
        return False
    args, kwargs, _ = reader._call_arguments(node, frame)
    target = args[0] if args else kwargs.get("theclass") or kwargs.get("function")
    key = args[1] if len(args) > 1 else kwargs.get("nested_key")
    if isinstance(target, ClassRef):
        _add_nested(reader, parser, target, key, frame, node)
    elif isinstance(target, FunctionRef):
        for item in signature(reader, target):
            dest = f"{key}.{item.name}" if key else item.name
            _put(
                parser,
                _argument(
                    reader,
                    dest,
                    item.type,
                    item.default,
                    item.help,
                    item.line,
                    frame,
                    item.default_node or node,
                    positional=False,
                ),
            )
    else:
        reader._warn(
            frame.module,
            node.lineno,
            f"{name}() of something not known statically; its arguments are missing.",
        )
    return True


def _add_nested(reader, parser: Parser, cls: ClassRef, key, frame: Frame, node) -> None:
    helps = parameter_help(ast.get_docstring(cls.node)) if cls.node else {}
    if cls.is_dataclass():
        for name, annotation, value, line, klass in dataclass_fields(
            reader, cls, _Call(node, frame)
        ):
            klass_frame = Frame(klass.module, klass.module.globals)
            kind = read_annotation(reader, annotation, klass_frame)
            dest = f"{key}.{name}" if key else name
            if kind.dataclass is not None and kind.dataclass is not cls:
                _add_nested(reader, parser, kind.dataclass, dest, frame, node)  # --data.loader.x
                continue
            value = field_default(reader, value, klass_frame)
            _put(
                parser,
                _argument(
                    reader, dest, kind, value, helps.get(name), line, frame, node, positional=False
                ),
            )
        return
    init = constructor(cls)
    for item in signature(reader, init, skip_first=True) if init else []:
        dest = f"{key}.{item.name}" if key else item.name
        _put(
            parser,
            _argument(
                reader,
                dest,
                item.type,
                item.default,
                item.help or helps.get(item.name),
                item.line,
                frame,
                item.default_node or node,
                positional=False,
            ),
        )


def _add_type_hint(reader, parser: Parser, kind: TypeInfo, node: ast.Call, frame: Frame) -> bool:
    """``add_argument("--tags", type=List[str])``: jsonargparse reads the type hint itself (a
    list also takes ``--tags+`` to append); True when handled here."""
    args, kwargs, _ = reader._call_arguments(node, frame)
    flags = [a for a in args if isinstance(a, str)]
    if not flags or len(flags) != len(args) or not all(f.startswith("--") for f in flags):
        return False  # positionals and short options: argparse's rules
    dest = kwargs.get("dest")
    if not isinstance(dest, str):
        dest = flags[0][2:].replace("-", "_")
    required = kwargs.get("required") is True
    default = NO_VALUE if required else kwargs.get("default")
    help_text = kwargs.get("help") if isinstance(kwargs.get("help"), str) else None
    argument = _argument(
        reader, dest, kind, default, help_text, node.lineno, frame, node, positional=False
    )
    argument.flags = [*flags, *(f + "+" for f in flags[:1] if kind.name == "list")]
    argument.required = required
    _put(parser, argument)
    return True


def field_default(reader: Any, value: Any, frame: Frame) -> Any:
    """A dataclass field's default: ``field(default=...)`` or ``default_factory``'s value."""
    if not (isinstance(value, LibraryCall) and value.name == "dataclasses.field"):
        return value
    factory = next((k.value for k in value.node.keywords if k.arg == "default_factory"), None)
    if factory is not None:
        return factory_value(reader, factory, frame)
    return value.kwargs.get("default", NO_VALUE)


class _Call:
    """Enough of a LibraryCall for dataclass_fields' warnings."""

    def __init__(self, node: ast.AST, frame: Frame) -> None:
        self.node, self.module = node, frame.module


def _argument(
    reader,
    dest: str,
    kind: TypeInfo,
    default: Any,
    help_text,
    line: int,
    frame: Frame,
    node,
    positional: bool,
) -> Argument:
    required = default is NO_VALUE
    flags = [] if positional and required else ["--" + dest]
    type_name, choices = kind.name, kind.choices
    if choices is not None:
        type_name = None
    if kind.name == "list" and flags:
        flags.append(flags[0] + "+")
    json_default = None
    if not required:
        json_default = reader._json_value(default, dest, node, frame, what="default")
    return Argument(
        dest=dest,
        flags=flags,
        action="store",
        type=type_name,
        nargs=None,
        default=json_default,
        required=required,
        choices=choices,
        help=help_text,
        line=line,
        explicit_default=not required,
    )


def _put(parser: Parser, argument: Argument) -> None:
    key = argument.flags[0] if argument.flags else argument.dest
    parser.arguments[key] = argument
    for flag in argument.flags:
        parser.owner_of_flag[flag] = key
