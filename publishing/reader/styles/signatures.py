"""A user function's parameters as the styles that read signatures see them (typer, fire,
jsonargparse): name, annotation, default (evaluated, or NO_VALUE), and the docstring's help."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..values import NO_VALUE, ClassRef, Frame, FunctionRef
from .annotations import TypeInfo, read_annotation
from .docstrings import parameter_help


@dataclass
class SignatureParameter:
    name: str
    type: TypeInfo
    default: Any  # NO_VALUE when there is none
    default_node: ast.expr | None
    help: str | None
    line: int
    keyword_only: bool


def signature(reader: Any, function: FunctionRef, skip_first: bool = False) -> list:
    node = function.node
    frame = Frame(function.module, function.module.globals)
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    defaults += list(arguments.defaults)
    helps = parameter_help(ast.get_docstring(node))
    result = []
    pairs = [(a, d, False) for a, d in zip(positional, defaults, strict=True)]
    pairs += [
        (a, d, True) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    ]
    if skip_first and pairs:
        pairs = pairs[1:]
    for argument, default_node, keyword_only in pairs:
        default = NO_VALUE if default_node is None else reader._eval(default_node, frame)
        result.append(
            SignatureParameter(
                name=argument.arg,
                type=read_annotation(reader, argument.annotation, frame),
                default=default,
                default_node=default_node,
                help=helps.get(argument.arg),
                line=argument.lineno,
                keyword_only=keyword_only,
            )
        )
    return result


def constructor(cls: ClassRef) -> FunctionRef | None:
    found = cls.lookup("__init__")
    return found[1] if found and isinstance(found[1], FunctionRef) else None
