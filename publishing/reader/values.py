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
    "parse_args_into_dataclasses",
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
    style: str = "argparse"  # or HfArgumentParser, jsonargparse: ArgumentParsers too


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
    closure: Any = None  # the enclosing function's locals, for a function defined in one


@dataclass(eq=False)
class ClassRef:
    """A class of the user's code: options classes (pix2pix's BaseOptions) build parsers;
    dataclasses and enums describe options of the other command-line styles."""

    module: LoadedModule
    name: str
    bases: list[ClassRef]
    namespace: dict[str, Any]
    node: ast.ClassDef | None = None
    library_bases: list[str] = field(default_factory=list)  # e.g. "enum.Enum"
    decorators: list[Any] = field(default_factory=list)
    # Annotated class attributes in order: (name, annotation node, value or NO_VALUE, line).
    annotated: list[tuple[str, ast.expr, Any, int]] = field(default_factory=list)

    def is_enum(self) -> bool:
        return any(base.startswith("enum.") for c in self.mro() for base in c.library_bases)

    def is_dataclass(self) -> bool:
        return any(
            getattr(d, "name", None) in ("dataclasses.dataclass", "pydantic.dataclasses.dataclass")
            for d in self.decorators
        )

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


class _NoValue:
    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()  # an annotated class attribute without a value


@dataclass(eq=False)
class EnumMember:
    """``Color.RED`` of an enum class of the repository: the command line may take its name
    (click) or its value (typer, HfArgumentParser)."""

    cls: ClassRef
    name: str
    value: Any


@dataclass(eq=False)
class Library:
    """A name from a command-line library (``click.option``, ``typer.Option``,
    ``absl.flags.DEFINE_string``...); the library itself is never imported. ``owner`` is the
    object a method belongs to (``app`` in ``app.command``)."""

    name: str
    owner: Any = None


@dataclass(eq=False)
class LibraryCall:
    """A call of a library name, kept with its evaluated arguments for the style readers."""

    name: str
    args: list
    kwargs: dict
    node: ast.Call
    module: LoadedModule
    owner: Any = None
    commands: list = field(default_factory=list)  # a typer app's commands
    callback: Any = None  # a typer app's callback


@dataclass(eq=False)
class Command:
    """A function wrapped by click decorators: its options top to bottom, and the
    ``click.command``/``click.group`` call that made it a command (None until then)."""

    function: FunctionRef
    params: list[LibraryCall]
    kind: Any = None
    subcommands: list = field(default_factory=list)


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


def enum_members(cls: ClassRef) -> list[tuple[str, Any]]:
    """(name, value) of an enum class's members, in order."""
    members = []
    for c in reversed(cls.mro()):
        if c.node is None:
            continue
        for statement in c.node.body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and not statement.targets[0].id.startswith("_")
            ):
                name = statement.targets[0].id
                members.append((name, c.namespace.get(name)))
    return members
