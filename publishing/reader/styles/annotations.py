"""What a type annotation tells the command line: the value type, choices, optional, lists.

Shared by the styles that read signatures and dataclasses (typer, fire, HfArgumentParser,
jsonargparse). Annotations are read from the syntax tree with names resolved in the frame, so
``Optional[List[int]]``, ``int | None``, ``Literal["a", "b"]``, ``Annotated[int, typer.Option()]``
and enums and dataclasses of the repository are understood without importing anything.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ..values import Builtin, ClassRef, Frame, FunctionRef, Library, enum_members

SCALARS = {"int", "float", "str", "bool"}
LISTS = {"typing.List", "typing.Sequence", "typing.Tuple", "list", "tuple", "typing.Iterable"}


@dataclass
class TypeInfo:
    name: str | None  # int, float, str, bool, Path, list, a callable's name; None if unknown
    choices: list | None = None
    enum: ClassRef | None = None
    optional: bool = False
    item: TypeInfo | None = None
    dataclass: ClassRef | None = None
    metadata: list = field(default_factory=list)  # the extras of Annotated[...]
    text: str = ""


def read_annotation(reader: Any, node: ast.expr | None, frame: Frame) -> TypeInfo:  # noqa: C901
    if node is None:
        return TypeInfo(None)
    text = frame.module.segment(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            inner = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return TypeInfo(node.value, text=text)
        info = read_annotation(reader, inner, frame)
        info.text = node.value
        return info
    if isinstance(node, ast.Constant) and node.value is None:
        return TypeInfo("None", text=text)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [read_annotation(reader, side, frame) for side in (node.left, node.right)]
        return _union(parts, text)
    if isinstance(node, ast.Subscript):
        head = reader._eval(node.value, frame)
        head_name = head.name if isinstance(head, (Library, Builtin)) else None
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head_name in ("typing.Optional", "typing.Union"):
            parts = [read_annotation(reader, item, frame) for item in items]
            if head_name == "typing.Optional":
                parts.append(TypeInfo("None"))
            return _union(parts, text)
        if head_name == "typing.Annotated":
            info = read_annotation(reader, items[0], frame)
            info.metadata = [reader._eval(extra, frame) for extra in items[1:]]
            return info
        if head_name == "typing.Literal":
            values = [reader._eval(item, frame) for item in items]
            return TypeInfo(None, choices=values, text=text)
        if head_name in LISTS:
            item = read_annotation(reader, items[0], frame) if items else TypeInfo(None)
            return TypeInfo("list", item=item, text=text)
        return TypeInfo(text, text=text)
    value = reader._eval(node, frame)
    if isinstance(value, Builtin) and value.name in SCALARS | {"list", "tuple", "dict"}:
        return TypeInfo("list" if value.name == "tuple" else value.name, text=text)
    if isinstance(value, Library):
        last = value.name.rsplit(".", 1)[-1]
        return TypeInfo("list" if value.name in LISTS else last, text=text)
    if isinstance(value, ClassRef):
        if value.is_enum():
            members = enum_members(value)
            return TypeInfo(None, choices=[v for _, v in members], enum=value, text=text)
        if value.is_dataclass():
            return TypeInfo(value.name, dataclass=value, text=text)
        return TypeInfo(value.name, text=text)
    if isinstance(value, FunctionRef):
        return TypeInfo(value.node.name, text=text)
    return TypeInfo(text, text=text)


def _union(parts: list[TypeInfo], text: str) -> TypeInfo:
    real = [p for p in parts if p.name != "None" or p.choices]
    if len(real) == 1:
        info = real[0]
        info.optional = len(parts) > 1
        info.text = text
        return info
    return TypeInfo(text, optional=len(real) < len(parts), text=text)
