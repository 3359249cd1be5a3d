"""HfArgumentParser: an ArgumentParser built from dataclasses of the repository. Each field
becomes the argparse action transformers would add (``--max_len`` and ``--max-len``; booleans
``nargs="?"`` plus a ``--no_x`` twin when true by default; lists ``nargs="+"``; enums and
``Literal`` as choices). Fields of library dataclasses (``TrainingArguments``) are not ours to
list; fields redeclared in a user subclass are."""

from __future__ import annotations

import ast
from typing import Any

from ..values import NO_VALUE, Argument, ClassRef, EnumMember, Frame, LibraryCall, Parser
from .annotations import TypeInfo, read_annotation


def new_parser(reader: Any, call: LibraryCall, frame: Frame) -> Parser:
    parser = reader._new_parser(call.node, [], {}, frame)
    parser.style = "HfArgumentParser"
    types = call.args[0] if call.args else call.kwargs.get("dataclass_types")
    if isinstance(types, ClassRef):
        types = [types]
    if not isinstance(types, (list, tuple)):
        reader._warn(
            call.module,
            call.node.lineno,
            "The dataclasses of HfArgumentParser are "
            "not known statically; their fields are missing.",
        )
        return parser
    for cls in types:
        if not isinstance(cls, ClassRef):
            reader._warn(
                call.module,
                call.node.lineno,
                f"{reader_text(call, cls)} is not a "
                "dataclass of the repository; its fields are not listed.",
            )
            continue
        for field_ in dataclass_fields(reader, cls, call):
            for argument in field_arguments(reader, cls, field_, call):
                parser.arguments[argument.flags[0]] = argument
                for flag in argument.flags:
                    parser.owner_of_flag[flag] = argument.flags[0]
    return parser


def reader_text(call: LibraryCall, value: Any) -> str:
    return getattr(value, "source", None) or getattr(value, "name", None) or "A class"


def dataclass_fields(reader: Any, cls: ClassRef, call: LibraryCall) -> list[tuple]:
    """(name, annotation, value, line, class) of the repository's classes, base fields first;
    a redeclared field keeps its first place, as in dataclasses."""
    fields: dict[str, tuple] = {}
    for klass in reversed(cls.mro()):
        for library in klass.library_bases:
            reader._warn(
                call.module,
                call.node.lineno,
                f"The fields of {library} are the library's and are not listed; fields "
                f"redeclared in {klass.name} are.",
            )
        for name, annotation, value, line in klass.annotated:
            if "ClassVar" in klass.module.segment(annotation) or _not_in_init(value):
                continue
            fields[name] = (name, annotation, value, line, klass)
    return list(fields.values())


def field_arguments(reader: Any, cls: ClassRef, spec: tuple, call: LibraryCall) -> list:
    name, annotation, value, line, klass = spec
    frame = Frame(klass.module, klass.module.globals)
    kind: TypeInfo = read_annotation(reader, annotation, frame)
    default: Any = value
    metadata: dict = {}
    if isinstance(value, LibraryCall) and value.name == "dataclasses.field":
        default = value.kwargs.get("default", NO_VALUE)
        factory = next((k.value for k in value.node.keywords if k.arg == "default_factory"), None)
        if factory is not None:
            default = factory_value(reader, factory, frame)
        metadata = (
            value.kwargs.get("metadata") if isinstance(value.kwargs.get("metadata"), dict) else {}
        )
    flags = ["--" + name] + (["--" + name.replace("_", "-")] if "_" in name else [])
    aliases = metadata.get("aliases", [])
    aliases = [aliases] if isinstance(aliases, str) else aliases
    if isinstance(aliases, (list, tuple)):
        flags += [a for a in aliases if isinstance(a, str)]
    help_text = metadata.get("help") if isinstance(metadata.get("help"), str) else None
    required = default is NO_VALUE
    type_name, nargs, choices = kind.name, None, kind.choices
    if choices is not None or kind.enum is not None:
        type_name = None
    if isinstance(metadata.get("choices"), (list, tuple)):
        choices, type_name = list(metadata["choices"]), None
    twin = None
    if kind.name == "bool" and kind.optional and (default is None or default is NO_VALUE):
        default, required = None, False  # Optional[bool] without a default: a plain value
    elif kind.name == "bool":
        nargs, required = "?", False
        if default is NO_VALUE:
            default = False
        if default is True:
            twin = Argument(
                dest=name,
                flags=["--no_" + name, "--no-" + name.replace("_", "-")],
                action="store_false",
                type="bool",
                nargs=0,
                default=False,
                required=False,
                choices=None,
                help=help_text,
                line=line,
                explicit_default=True,
            )
    elif kind.name == "list":
        item = kind.item or TypeInfo("str")
        type_name, nargs = (None if item.choices else item.name), "+"
        choices = item.choices
    json_default = None
    if default is not NO_VALUE:
        if isinstance(default, EnumMember):
            default = default.value
        json_default = reader._json_value(default, name, annotation, frame, what="default")
    argument = Argument(
        dest=name,
        flags=flags,
        action="store",
        type=type_name,
        nargs=nargs,
        default=json_default,
        required=required,
        choices=choices,
        help=help_text,
        line=line,
        explicit_default=default is not NO_VALUE,
    )
    return [argument, twin] if twin else [argument]


def factory_value(reader: Any, factory: ast.expr, frame: Frame) -> Any:
    if isinstance(factory, ast.Lambda) and not factory.args.args:
        return reader._eval(factory.body, frame)
    value = reader._eval(factory, frame)
    names = {"list": [], "dict": {}, "tuple": (), "set": set()}
    return names.get(getattr(value, "name", None), NO_VALUE)


def _not_in_init(value: Any) -> bool:
    """``field(init=False)``: not a constructor argument, so not on the command line."""
    return (
        isinstance(value, LibraryCall)
        and value.name == "dataclasses.field"
        and value.kwargs.get("init") is False
    )
