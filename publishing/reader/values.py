"""The abstract values the reader computes with, and the constants of argparse it knows."""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from typing import Any

from .source import LoadedModule

SUPPRESS = "==SUPPRESS=="
MAX_CALL_DEPTH = 40
PARSE_METHODS = {
    "parse_args",
    "parse_known_args",
    "parse_intermixed_args",
    "parse_known_intermixed_args",
}
KNOWN_ACTIONS = {
    "store",
    "store_true",
    "store_false",
    "store_const",
    "append",
    "append_const",
    "count",
    "extend",
}
ZERO_NARGS_ACTIONS = {
    "store_const",
    "store_true",
    "store_false",
    "append_const",
    "count",
    "BooleanOptionalAction",
}
BOOLEAN_ACTIONS = {"store_true", "store_false", "BooleanOptionalAction"}
BUILTIN_TYPES = {"int", "float", "str", "bool"}
ARGPARSE_CONSTANTS = {
    "SUPPRESS": SUPPRESS,
    "OPTIONAL": "?",
    "ZERO_OR_MORE": "*",
    "ONE_OR_MORE": "+",
    "REMAINDER": "...",
    "PARSER": "A...",
}


class Unknown:
    """A value only known at run time; keeps the source text it came from."""

    __slots__ = ("source",)

    def __init__(self, source: str) -> None:
        self.source = source


@dataclass
class Argument:
    dest: str
    flags: list[str]
    action: str
    type: str | None
    nargs: Any
    default: Any
    required: bool
    choices: Any
    help: Any
    line: int
    explicit_default: bool

    def as_json(self) -> dict:
        return {
            "name": self.dest,
            "flags": self.flags,
            "action": self.action,
            "type": self.type,
            "nargs": self.nargs,
            "default": self.default,
            "required": self.required,
            "choices": self.choices,
            "help": self.help,
        }


@dataclass
class Parser:
    line: int
    prefix_chars: str = "-"
    argument_default: Any = None
    is_subparser: bool = False
    arguments: dict[str, Argument] = field(default_factory=dict)
    owner_of_flag: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)


@dataclass
class Group:
    parser: Parser


@dataclass
class Subparsers:
    parser: Parser


@dataclass
class BoundMethod:
    target: Any
    name: str


@dataclass(eq=False)
class FunctionRef:
    module: LoadedModule
    node: ast.FunctionDef | ast.AsyncFunctionDef
    owner: ClassRef | None = None  # the class it was defined in, for super()


@dataclass(eq=False)
class ClassRef:
    """A class of the user's code: options classes (pix2pix's BaseOptions) build parsers."""

    module: LoadedModule
    name: str
    bases: list[ClassRef]
    namespace: dict[str, Any]

    def mro(self) -> list[ClassRef]:
        order: list[ClassRef] = [self]
        for base in self.bases:
            order += [c for c in base.mro() if all(c is not seen for seen in order)]
        return order

    def lookup(self, name: str, after: ClassRef | None = None) -> tuple[ClassRef, Any] | None:
        classes = self.mro()
        if after is not None:
            position = next((i for i, c in enumerate(classes) if c is after), len(classes))
            classes = classes[position + 1 :]
        for cls in classes:
            if name in cls.namespace:
                return cls, cls.namespace[name]
        return None


@dataclass(eq=False)
class Instance:
    cls: ClassRef
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class BoundUserMethod:
    instance: Instance
    function: FunctionRef


@dataclass(eq=False)
class SuperRef:
    instance: Instance
    after: ClassRef


@dataclass
class ModuleRef:
    module: LoadedModule


@dataclass
class ArgparseName:
    """A class or function of the argparse module (ArgumentParser, BooleanOptionalAction...)."""

    name: str


@dataclass
class Builtin:
    name: str


class _ArgparseModule:
    pass


ARGPARSE = _ArgparseModule()
SAFE_BUILTINS = {
    "list": list,
    "tuple": tuple,
    "sorted": sorted,
    "set": set,
    "frozenset": frozenset,
    "dict": dict,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
    "range": lambda *a: list(range(*a)),
    "reversed": lambda x: list(reversed(x)),
    "enumerate": lambda *a: list(enumerate(*a)),
    "zip": lambda *a: list(zip(*a, strict=False)),
}
SAFE_METHODS = {
    dict: {"keys", "values", "items", "get", "copy"},
    str: {
        "upper",
        "lower",
        "strip",
        "lstrip",
        "rstrip",
        "replace",
        "split",
        "join",
        "format",
        "title",
        "capitalize",
        "startswith",
        "endswith",
    },
    list: {"copy", "index", "count"},
    tuple: {"index", "count"},
}


def to_json(value: Any, source: str) -> Any:
    """A JSON form of a resolved value; what JSON cannot hold is kept as an expression."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"expr": source}
    if isinstance(value, (list, tuple)):
        return [to_json(item, source) for item in value]
    if isinstance(value, (set, frozenset)):
        try:
            return [to_json(item, source) for item in sorted(value)]
        except TypeError:
            return [to_json(item, source) for item in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: to_json(v, source) for k, v in value.items()}
    return {"expr": source}


@dataclass
class Frame:
    module: LoadedModule
    locals: dict[str, Any]
    function: FunctionRef | None = None  # the user function running in this frame


class ReturnValue(Exception):  # noqa: N818 - control flow, not an error
    def __init__(self, value: Any) -> None:
        self.value = value


class BreakLoop(Exception):  # noqa: N818
    pass


class ContinueLoop(Exception):  # noqa: N818
    pass
