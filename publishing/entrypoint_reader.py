"""Read an entry point's argparse parameters without running it.

User code is never imported or executed on the server. The reader parses it with ``ast`` and
walks it with a small abstract interpreter that understands just enough Python to follow how
real training scripts build their parsers: aliases of argparse, parsers made in functions and
returned, helper functions (in this file or in local modules) that receive the parser, argument
groups, ``parents=[...]``, ``set_defaults``, module-level constants and simple expressions,
loops over literal lists. Anything it cannot know statically is kept as source text and
reported as a warning with its line number, never a crash.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUPPRESS = "==SUPPRESS=="
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_CALL_DEPTH = 40
MAX_LOOP_ITEMS = 10_000
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
CONVENTION_FLAGS = ("--input-path", "--output-path")


class EntrypointError(Exception):
    """The entry point cannot be read at all (missing, not text, syntax error)."""


# -- abstract values ---------------------------------------------------------------------------
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


def is_constant(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str, bytes, complex)):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(is_constant(item) for item in value)
    if isinstance(value, dict):
        return all(is_constant(k) and is_constant(v) for k, v in value.items())
    return False


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


# -- modules and frames -----------------------------------------------------------------------
@dataclass
class LoadedModule:
    path: Path
    relative: str
    name: str
    source_lines: list[bytes]
    tree: ast.Module
    globals: dict[str, Any] = field(default_factory=dict)

    def segment(self, node: ast.AST) -> str:
        """Exact source text of a node (col offsets are UTF-8 byte offsets)."""
        try:
            first, last = node.lineno - 1, node.end_lineno - 1
            start, end = node.col_offset, node.end_col_offset
        except AttributeError:
            return ast.unparse(node)
        if first == last:
            text = self.source_lines[first][start:end]
        else:
            parts = [self.source_lines[first][start:], *self.source_lines[first + 1 : last]]
            parts.append(self.source_lines[last][:end])
            text = b"".join(parts)
        return text.decode("utf-8", errors="replace")


@dataclass
class Frame:
    module: LoadedModule
    locals: dict[str, Any]
    function: FunctionRef | None = None  # the user function running in this frame


class _Return(Exception):  # noqa: N818 - control flow, not an error
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):  # noqa: N818
    pass


class _Continue(Exception):  # noqa: N818
    pass


def _read_source(path: Path, shown_name: str) -> tuple[str, bytes]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EntrypointError(f"{shown_name}: no such file") from None
    except IsADirectoryError:
        raise EntrypointError(f"{shown_name}: is a directory, not a Python file") from None
    except OSError as error:
        raise EntrypointError(f"{shown_name}: cannot be read ({error.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise EntrypointError(f"{shown_name}: larger than {MAX_FILE_BYTES} bytes")
    if b"\x00" in raw:
        raise EntrypointError(f"{shown_name}: is a binary file, not Python source")
    try:
        return raw.decode("utf-8-sig"), raw
    except UnicodeDecodeError:
        raise EntrypointError(f"{shown_name}: is not UTF-8 text") from None


def _parse(text: str, shown_name: str) -> ast.Module:
    try:
        return ast.parse(text, filename=shown_name)
    except SyntaxError as error:
        raise EntrypointError(f"{shown_name}:{error.lineno}: syntax error: {error.msg}") from None
    except (ValueError, RecursionError) as error:
        raise EntrypointError(f"{shown_name}: cannot be parsed ({error})") from None


# -- the reader ----------------------------------------------------------------------------------
class EntrypointReader:
    def __init__(self, repo_root: Path) -> None:
        self.root = repo_root.resolve()
        self.warnings: list[dict] = []
        self._seen_warnings: set[tuple[int, str]] = set()
        self.modules: dict[Path, LoadedModule | None] = {}
        self.parsers: list[Parser] = []
        self.parse_calls: list[Parser] = []
        # (module, call node) of the user functions being followed, outermost first.
        self.call_stack: list[tuple[LoadedModule, ast.AST]] = []
        self.conditional = 0
        self.entry: LoadedModule | None = None

    # -- public -----------------------------------------------------------------------------
    def read(self, entrypoint: Path) -> dict:
        path = entrypoint if entrypoint.is_absolute() else self.root / entrypoint
        relative = self._relative(path)
        if relative is None:
            raise EntrypointError(f"{entrypoint}: is outside the repository root {self.root}")
        text, raw = _read_source(path, relative)
        tree = _parse(text, relative)
        module = LoadedModule(path.resolve(), relative, "__main__", raw.splitlines(True), tree)
        self.entry = module
        self.modules[module.path] = module
        self._run_module(module)
        if not self.parsers:
            self._call_parser_factories(module)
        parser = self._chosen_parser()
        parameters: list[dict] = []
        source = "argparse"
        if parser is not None:
            parameters = [arg.as_json() for arg in parser.arguments.values()]
        else:
            parameters = self._legacy_parameters(module)
            if parameters:
                source = "mlreef-decorators"
            else:
                self._warn(module, 1, "No argparse parser or MLReef parameter decorators found.")
        return {
            "entrypoint": relative,
            "source": source,
            "parameters": parameters,
            "warnings": sorted(self.warnings, key=lambda w: w["line"]),
        }

    # -- helpers ------------------------------------------------------------------------------
    def _relative(self, path: Path) -> str | None:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            return None
        return resolved.relative_to(self.root).as_posix()

    def _warn(self, module: LoadedModule, line: int, message: str) -> None:
        if module is not self.entry:
            message = f"{module.relative}:{line}: {message}"
            line = self._entry_line()
        key = (line, message)
        if key not in self._seen_warnings:
            self._seen_warnings.add(key)
            self.warnings.append({"line": line, "message": message})

    def _entry_line(self) -> int:
        """Where in the entry point the current call chain started (for warnings elsewhere)."""
        for module, node in self.call_stack:
            if module is self.entry:
                return node.lineno
        return 1

    def _call_parser_factories(self, module: LoadedModule) -> None:
        """No code path built a parser: try the functions that do (``def get_parser(): ...``),
        for scripts whose entry function is called by something we cannot see."""
        for name, value in list(module.globals.items()):
            if (
                isinstance(value, FunctionRef)
                and value.module is module
                and any(
                    isinstance(node, (ast.Name, ast.Attribute))
                    and (getattr(node, "id", None) or getattr(node, "attr", None))
                    == "ArgumentParser"
                    for node in ast.walk(value.node)
                )
            ):
                self._call_function(value, value.node, [], {}, Frame(module, module.globals))
                if self.parsers:
                    self._warn(
                        module,
                        value.node.lineno,
                        f"The parser is built by {name}(), "
                        "which the script never calls at start-up; read from there.",
                    )
                    return

    def _chosen_parser(self) -> Parser | None:
        for parser in reversed(self.parse_calls):
            if not parser.is_subparser:
                return parser
        candidates = [p for p in self.parsers if not p.is_subparser and p.arguments]
        if not candidates:
            return None
        return max(reversed(candidates), key=lambda p: len(p.arguments))

    # -- modules ------------------------------------------------------------------------------
    def _run_module(self, module: LoadedModule) -> None:
        frame = Frame(module, module.globals)
        module.globals.setdefault("__name__", module.name)
        self._exec_block(module.tree.body, frame)

    def _load_local(self, importer: LoadedModule, dotted: str, level: int, line: int):
        """Load a local module by import name; None when it is not part of the repository."""
        if level:
            base = importer.path.parent
            for _ in range(level - 1):
                base = base.parent
            search = [base]
        else:
            # Running `python train.py` puts the script's folder first on sys.path.
            search = [importer.path.parent, self.root]
        parts = dotted.split(".") if dotted else []
        for folder in search:
            target = folder.joinpath(*parts) if parts else folder
            for candidate in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
                if candidate is None or not candidate.is_file():
                    continue
                if not candidate.resolve().is_relative_to(self.root):
                    self._warn(
                        importer,
                        line,
                        f"Import of '{'.' * level}{dotted}' resolves "
                        "outside the repository root; not followed.",
                    )
                    return None
                return self._module_for(candidate, dotted or importer.name)
        if level:
            if not base.resolve().is_relative_to(self.root):
                self._warn(
                    importer,
                    line,
                    f"Import of '{'.' * level}{dotted}' goes outside the "
                    "repository root; not followed.",
                )
            else:
                self._warn(importer, line, f"Local import '{'.' * level}{dotted}' not found.")
        return None

    def _module_for(self, path: Path, name: str) -> LoadedModule | None:
        resolved = path.resolve()
        if resolved in self.modules:
            loaded = self.modules[resolved]
            if loaded is not None and not loaded.globals.get("__loaded__"):
                # Imported again while still loading: a circular import. Python hands out the
                # half-built module; so do we, with what it has defined so far.
                self._warn(
                    self.entry,
                    self._entry_line(),
                    f"Circular import involving {loaded.relative}; names defined after "
                    "the import are not seen.",
                )
            return loaded
        relative = resolved.relative_to(self.root).as_posix()
        try:
            text, raw = _read_source(resolved, relative)
            tree = _parse(text, relative)
        except EntrypointError as error:
            self._warn(self.entry, self._entry_line(), f"Imported module skipped: {error}")
            self.modules[resolved] = None
            return None
        module = LoadedModule(resolved, relative, name, raw.splitlines(True), tree)
        self.modules[resolved] = module
        self._run_module(module)
        module.globals["__loaded__"] = True
        return module

    # -- statements ---------------------------------------------------------------------------
    def _exec_block(self, body: list[ast.stmt], frame: Frame) -> None:
        for statement in body:
            self._exec(statement, frame)

    def _exec(self, node: ast.stmt, frame: Frame) -> None:  # noqa: C901 - a dispatcher
        module = frame.module
        if isinstance(node, ast.Import):
            for alias in node.names:
                self._exec_import(alias, frame, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            self._exec_import_from(node, frame)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            frame.locals[node.name] = FunctionRef(module, node)
        elif isinstance(node, ast.ClassDef):
            frame.locals[node.name] = self._define_class(node, frame)
        elif isinstance(node, ast.Assign):
            value = self._eval(node.value, frame)
            for target in node.targets:
                self._assign(target, value, frame)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._assign(node.target, self._eval(node.value, frame), frame)
        elif isinstance(node, ast.AugAssign):
            current = self._eval(node.target, frame)
            value = self._binop(node.op, current, self._eval(node.value, frame), node, frame)
            self._assign(node.target, value, frame)
        elif isinstance(node, ast.Expr):
            self._eval(node.value, frame)
        elif isinstance(node, ast.Return):
            raise _Return(self._eval(node.value, frame) if node.value else None)
        elif isinstance(node, ast.If):
            self._exec_if(node, frame)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._exec_for(node, frame)
        elif isinstance(node, ast.While):
            self._warn_if_builds(node, module, "a while loop")
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                value = self._eval(item.context_expr, frame)
                if item.optional_vars is not None:
                    self._assign(
                        item.optional_vars,
                        Unknown(module.segment(item.optional_vars))
                        if not isinstance(value, Parser)
                        else value,
                        frame,
                    )
            self._exec_block(node.body, frame)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self._exec_block(node.body, frame)
            self._exec_block(node.orelse, frame)
            self._exec_block(node.finalbody, frame)
        elif isinstance(node, ast.Break):
            raise _Break()
        elif isinstance(node, ast.Continue):
            raise _Continue()
        elif isinstance(node, ast.Match):
            self._warn_if_builds(node, module, "a match statement")

    def _exec_import(self, alias: ast.alias, frame: Frame, line: int) -> None:
        if alias.name == "argparse" or alias.name.startswith("argparse."):
            frame.locals[alias.asname or "argparse"] = ARGPARSE
            return
        loaded = self._load_local(frame.module, alias.name, 0, line)
        bound = alias.asname or alias.name.split(".")[0]
        if loaded is None:
            frame.locals[bound] = Unknown(alias.name)
        elif alias.asname or "." not in alias.name:
            frame.locals[bound] = ModuleRef(loaded)
        else:
            top = self._load_local(frame.module, alias.name.split(".")[0], 0, line)
            frame.locals[bound] = ModuleRef(top) if top else Unknown(bound)

    def _exec_import_from(self, node: ast.ImportFrom, frame: Frame) -> None:
        if node.module == "argparse" and not node.level:
            for alias in node.names:
                if alias.name == "*":
                    for name in (
                        "ArgumentParser",
                        "BooleanOptionalAction",
                        "FileType",
                        *ARGPARSE_CONSTANTS,
                    ):
                        frame.locals[name] = self._argparse_member(name)
                else:
                    frame.locals[alias.asname or alias.name] = self._argparse_member(alias.name)
            return
        source = self._load_local(frame.module, node.module or "", node.level, node.lineno)
        for alias in node.names:
            bound = alias.asname or alias.name
            if source is None:
                if alias.name != "*":
                    frame.locals[bound] = Unknown(alias.name)
                continue
            if alias.name == "*":
                frame.locals.update(
                    {k: v for k, v in source.globals.items() if not k.startswith("_")}
                )
            elif alias.name in source.globals:
                frame.locals[bound] = source.globals[alias.name]
            else:
                sub = self._load_local(
                    frame.module,
                    f"{node.module}.{alias.name}" if node.module else alias.name,
                    node.level,
                    node.lineno,
                )
                frame.locals[bound] = ModuleRef(sub) if sub else Unknown(alias.name)

    def _argparse_member(self, name: str) -> Any:
        if name in ARGPARSE_CONSTANTS:
            return ARGPARSE_CONSTANTS[name]
        return ArgparseName(name)

    def _define_class(self, node: ast.ClassDef, frame: Frame) -> ClassRef:
        bases = [
            b for b in (self._eval(base, frame) for base in node.bases) if isinstance(b, ClassRef)
        ]
        cls = ClassRef(frame.module, node.name, bases, {})
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                cls.namespace[statement.name] = FunctionRef(frame.module, statement, owner=cls)
            elif (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
            ):
                cls.namespace[statement.targets[0].id] = self._eval(statement.value, frame)
        return cls

    def _assign(self, target: ast.expr, value: Any, frame: Frame) -> None:
        if isinstance(target, ast.Name):
            frame.locals[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = list(value) if isinstance(value, (list, tuple)) else None
            if items is not None and len(items) == len(target.elts):
                for element, item in zip(target.elts, items, strict=True):
                    self._assign(element, item, frame)
            else:
                for element in target.elts:
                    self._assign(element, Unknown(frame.module.segment(element)), frame)
        elif isinstance(target, ast.Attribute):
            owner = self._eval(target.value, frame)
            if isinstance(owner, Instance):
                owner.attrs[target.attr] = value
            else:  # e.g. `ns.parser = ...`: remembered by its text within the function
                frame.locals[frame.module.segment(target)] = value
        elif isinstance(target, ast.Starred):
            self._assign(target.value, Unknown(frame.module.segment(target)), frame)

    def _exec_if(self, node: ast.If, frame: Frame) -> None:
        test = self._eval(node.test, frame)
        if is_constant(test):
            self._exec_block(node.body if test else node.orelse, frame)
            return
        self.conditional += 1
        try:
            self._exec_block(node.body, frame)
            self._exec_block(node.orelse, frame)
        finally:
            self.conditional -= 1

    def _exec_for(self, node: ast.For | ast.AsyncFor, frame: Frame) -> None:
        iterable = self._eval(node.iter, frame)
        if isinstance(iterable, dict):
            iterable = list(iterable)
        if not (
            isinstance(iterable, (list, tuple, str, set, frozenset))
            and is_constant(iterable)
            and len(iterable) <= MAX_LOOP_ITEMS
        ):
            self._warn_if_builds(
                node, frame.module, f"a loop over '{frame.module.segment(node.iter)}'"
            )
            return
        for item in iterable:
            self._assign(node.target, item, frame)
            try:
                self._exec_block(node.body, frame)
            except _Break:
                return
            except _Continue:
                continue
        self._exec_block(node.orelse, frame)

    def _warn_if_builds(self, node: ast.AST, module: LoadedModule, what: str) -> None:
        for child in ast.walk(node):
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in ("add_argument", "add_parser", "set_defaults")
            ):
                self._warn(
                    module,
                    child.lineno,
                    f"Arguments added in {what} (line "
                    f"{node.lineno}) cannot be read statically and are missing.",
                )
                return

    # -- expressions --------------------------------------------------------------------------
    def _eval(self, node: ast.expr | None, frame: Frame) -> Any:  # noqa: C901 - a dispatcher
        if node is None:
            return None
        module = frame.module
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self._lookup(node.id, frame)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, frame)
        if isinstance(node, ast.Call):
            return self._call(node, frame)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items: list = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    value = self._eval(element.value, frame)
                    if not isinstance(value, (list, tuple, set, frozenset, str)):
                        return Unknown(module.segment(node))
                    items.extend(value)
                else:
                    items.append(self._eval(element, frame))
            if isinstance(node, ast.Tuple):
                return tuple(items)
            if isinstance(node, ast.Set):
                return set(items) if is_constant(items) else Unknown(module.segment(node))
            return items
        if isinstance(node, ast.Dict):
            result = {}
            for key_node, value_node in zip(node.keys, node.values, strict=True):
                if key_node is None:
                    merged = self._eval(value_node, frame)
                    if not isinstance(merged, dict):
                        return Unknown(module.segment(node))
                    result.update(merged)
                    continue
                key = self._eval(key_node, frame)
                if not is_constant(key):
                    return Unknown(module.segment(node))
                result[key] = self._eval(value_node, frame)
            return result
        if isinstance(node, ast.BinOp):
            return self._binop(
                node.op, self._eval(node.left, frame), self._eval(node.right, frame), node, frame
            )
        if isinstance(node, ast.UnaryOp):
            operand = self._eval(node.operand, frame)
            if is_constant(operand):
                try:
                    return {
                        ast.USub: lambda v: -v,
                        ast.UAdd: lambda v: +v,
                        ast.Not: lambda v: not v,
                        ast.Invert: lambda v: ~v,
                    }[type(node.op)](operand)
                except TypeError:
                    pass
            return Unknown(module.segment(node))
        if isinstance(node, ast.BoolOp):
            values = [self._eval(v, frame) for v in node.values]
            if all(is_constant(v) for v in values):
                result = values[0]
                for value in values[1:]:
                    result = (
                        (result and value) if isinstance(node.op, ast.And) else (result or value)
                    )
                return result
            return Unknown(module.segment(node))
        if isinstance(node, ast.Compare):
            return self._compare(node, frame)
        if isinstance(node, ast.IfExp):
            test = self._eval(node.test, frame)
            if is_constant(test):
                return self._eval(node.body if test else node.orelse, frame)
            return Unknown(module.segment(node))
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, frame)
        if isinstance(node, ast.Subscript):
            container = self._eval(node.value, frame)
            index = self._eval(node.slice, frame)
            if isinstance(container, (list, tuple, str, dict)) and is_constant(index):
                try:
                    return container[index]  # type: ignore[index]
                except (KeyError, IndexError, TypeError):
                    pass
            return Unknown(module.segment(node))
        if isinstance(node, ast.Slice):
            parts = [self._eval(p, frame) for p in (node.lower, node.upper, node.step)]
            if all(is_constant(p) for p in parts):
                return slice(*parts)
            return Unknown(module.segment(node))
        if isinstance(node, ast.NamedExpr):
            value = self._eval(node.value, frame)
            self._assign(node.target, value, frame)
            return value
        return Unknown(module.segment(node))

    def _lookup(self, name: str, frame: Frame) -> Any:
        if name in frame.locals:
            return frame.locals[name]
        if name in frame.module.globals:
            return frame.module.globals[name]
        if name in SAFE_BUILTINS:
            return Builtin(name)
        if name == "__name__":
            return frame.module.name
        return Unknown(name)

    def _attribute(self, node: ast.Attribute, frame: Frame) -> Any:
        dotted = frame.module.segment(node)
        if dotted in frame.locals:
            return frame.locals[dotted]
        base = self._eval(node.value, frame)
        if base is ARGPARSE:
            return self._argparse_member(node.attr)
        if isinstance(base, ModuleRef):
            if node.attr in base.module.globals:
                return base.module.globals[node.attr]
            sub = (
                self._load_local(base.module, node.attr, 1, node.lineno)
                if base.module.path.name == "__init__.py"
                else None
            )
            return ModuleRef(sub) if sub else Unknown(dotted)
        if isinstance(base, (Parser, Group, Subparsers)):
            return BoundMethod(base, node.attr)
        if isinstance(base, Instance):
            if node.attr in base.attrs:
                return base.attrs[node.attr]
            found = base.cls.lookup(node.attr)
        elif isinstance(base, SuperRef):
            found = base.instance.cls.lookup(node.attr, after=base.after)
            base = base.instance
        elif isinstance(base, ClassRef):
            found = base.lookup(node.attr)
            return found[1] if found else Unknown(dotted)
        else:
            found = None
        if found is not None:
            value = found[1]
            return BoundUserMethod(base, value) if isinstance(value, FunctionRef) else value
        if is_constant(base) and node.attr in SAFE_METHODS.get(type(base), ()):
            return BoundMethod(base, node.attr)
        return Unknown(dotted)

    def _binop(self, op: ast.operator, left: Any, right: Any, node: ast.AST, frame: Frame) -> Any:
        if is_constant(left) and is_constant(right):
            if isinstance(op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > 256:
                return Unknown(frame.module.segment(node))
            if (
                isinstance(op, ast.Mult)
                and any(
                    isinstance(v, int) and not isinstance(v, bool) and v > 100_000
                    for v in (left, right)
                )
                and any(isinstance(v, (str, list, tuple, bytes)) for v in (left, right))
            ):
                return Unknown(frame.module.segment(node))
            operators = {
                ast.Add: lambda a, b: a + b,
                ast.Sub: lambda a, b: a - b,
                ast.Mult: lambda a, b: a * b,
                ast.Div: lambda a, b: a / b,
                ast.FloorDiv: lambda a, b: a // b,
                ast.Mod: lambda a, b: a % b,
                ast.Pow: lambda a, b: a**b,
                ast.BitOr: lambda a, b: a | b,
                ast.BitAnd: lambda a, b: a & b,
            }
            operation = operators.get(type(op))
            if operation is not None:
                try:
                    return operation(left, right)
                except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                    pass
        return Unknown(frame.module.segment(node))

    def _compare(self, node: ast.Compare, frame: Frame) -> Any:
        left = self._eval(node.left, frame)
        comparators = [self._eval(c, frame) for c in node.comparators]
        if not (is_constant(left) and all(is_constant(c) for c in comparators)):
            return Unknown(frame.module.segment(node))
        operations = {
            ast.Eq: lambda a, b: a == b,
            ast.NotEq: lambda a, b: a != b,
            ast.Lt: lambda a, b: a < b,
            ast.LtE: lambda a, b: a <= b,
            ast.Gt: lambda a, b: a > b,
            ast.GtE: lambda a, b: a >= b,
            ast.In: lambda a, b: a in b,
            ast.NotIn: lambda a, b: a not in b,
            ast.Is: lambda a, b: a is b,
            ast.IsNot: lambda a, b: a is not b,
        }
        try:
            for op, right in zip(node.ops, comparators, strict=True):
                if not operations[type(op)](left, right):
                    return False
                left = right
        except TypeError:
            return Unknown(frame.module.segment(node))
        return True

    def _fstring(self, node: ast.JoinedStr, frame: Frame) -> Any:
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
                continue
            assert isinstance(value, ast.FormattedValue)
            inner = self._eval(value.value, frame)
            spec = self._eval(value.format_spec, frame) if value.format_spec else ""
            if not is_constant(inner) or not isinstance(spec, str):
                return Unknown(frame.module.segment(node))
            conversion = {115: str, 114: repr, 97: ascii}.get(value.conversion)
            if conversion:
                inner = conversion(inner)
            try:
                parts.append(format(inner, spec))
            except (TypeError, ValueError):
                return Unknown(frame.module.segment(node))
        return "".join(parts)

    # -- calls ----------------------------------------------------------------------------------
    def _call_arguments(self, node: ast.Call, frame: Frame) -> tuple[list, dict, bool]:
        """Evaluate a call's arguments; the flag says whether some could not be expanded."""
        args: list = []
        kwargs: dict = {}
        complete = True
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                value = self._eval(arg.value, frame)
                if isinstance(value, (list, tuple)):
                    args.extend(value)
                else:
                    complete = False
            else:
                args.append(self._eval(arg, frame))
        for keyword in node.keywords:
            if keyword.arg is None:
                value = self._eval(keyword.value, frame)
                if isinstance(value, dict) and all(isinstance(k, str) for k in value):
                    kwargs.update(value)
                else:
                    complete = False
            else:
                kwargs[keyword.arg] = self._eval(keyword.value, frame)
        return args, kwargs, complete

    def _call(self, node: ast.Call, frame: Frame) -> Any:
        function = self._eval(node.func, frame)
        module = frame.module
        if isinstance(function, BoundMethod) and isinstance(
            function.target, (Parser, Group, Subparsers)
        ):
            return self._parser_method(function, node, frame)
        args, kwargs, complete = self._call_arguments(node, frame)
        if isinstance(function, ArgparseName):
            if function.name == "ArgumentParser":
                return self._new_parser(node, args, kwargs, frame)
            return Unknown(module.segment(node))
        if isinstance(function, FunctionRef):
            return self._call_function(function, node, args, kwargs, frame)
        if isinstance(function, BoundUserMethod):
            return self._call_function(
                function.function, node, [function.instance, *args], kwargs, frame
            )
        if isinstance(function, ClassRef):
            instance = Instance(function)
            found = function.lookup("__init__")
            if found is not None and isinstance(found[1], FunctionRef):
                self._call_function(found[1], node, [instance, *args], kwargs, frame)
            return instance
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "super"
            and not args
            and frame.function is not None
            and frame.function.owner is not None
        ):
            params = frame.function.node.args
            first = (params.posonlyargs + params.args)[:1]
            instance = frame.locals.get(first[0].arg) if first else None
            if isinstance(instance, Instance):
                return SuperRef(instance, frame.function.owner)
        if isinstance(function, Builtin) and complete:
            if all(is_constant(a) for a in args) and all(is_constant(v) for v in kwargs.values()):
                try:
                    return SAFE_BUILTINS[function.name](*args, **kwargs)
                except Exception:  # noqa: BLE001 - user values may not fit; stay unknown
                    return Unknown(module.segment(node))
        if isinstance(function, BoundMethod) and complete and is_constant(function.target):
            if all(is_constant(a) for a in args) and all(is_constant(v) for v in kwargs.values()):
                try:
                    result = getattr(function.target, function.name)(*args, **kwargs)
                except Exception:  # noqa: BLE001
                    return Unknown(module.segment(node))
                if type(result).__name__ in ("dict_keys", "dict_values", "dict_items"):
                    result = list(result)
                return result
        passed = [a for a in [*args, *kwargs.values()] if isinstance(a, (Parser, Group))]
        if passed:
            self._warn(
                module,
                node.lineno,
                f"The parser is passed to "
                f"'{module.segment(node.func)}', which cannot be followed; arguments it "
                "adds are missing.",
            )
        return Unknown(module.segment(node))

    def _call_function(
        self, function: FunctionRef, node: ast.Call, args: list, kwargs: dict, caller: Frame
    ):
        definition = function.node
        depth = sum(1 for _, n in self.call_stack if n is definition)
        if depth >= 2 or len(self.call_stack) >= MAX_CALL_DEPTH:
            return Unknown(definition.name)
        callee = function.module
        local: dict[str, Any] = {}
        params = definition.args
        positional = [*params.posonlyargs, *params.args]
        defaults = [None] * (len(positional) - len(params.defaults)) + list(params.defaults)
        for index, param in enumerate(positional):
            if index < len(args):
                local[param.arg] = args[index]
            elif param.arg in kwargs:
                local[param.arg] = kwargs[param.arg]
            elif defaults[index] is not None:
                local[param.arg] = self._eval(defaults[index], Frame(callee, {}))
            else:
                local[param.arg] = Unknown(param.arg)
        for param, default in zip(params.kwonlyargs, params.kw_defaults, strict=True):
            if param.arg in kwargs:
                local[param.arg] = kwargs[param.arg]
            else:
                local[param.arg] = (
                    self._eval(default, Frame(callee, {})) if default else Unknown(param.arg)
                )
        if params.vararg:
            local[params.vararg.arg] = tuple(args[len(positional) :])
        if params.kwarg:
            local[params.kwarg.arg] = {
                k: v for k, v in kwargs.items() if k not in {p.arg for p in positional}
            }
        self.call_stack.append((caller.module, node))
        self.call_stack.append((callee, definition))
        try:
            self._exec_block(definition.body, Frame(callee, local, function))
        except _Return as returned:
            return returned.value
        except (_Break, _Continue):
            pass
        except RecursionError:
            self._warn(callee, definition.lineno, "Calls nest too deeply; stopped following.")
        finally:
            self.call_stack.pop()
            self.call_stack.pop()
        return None

    def _new_parser(self, node: ast.Call, args: list, kwargs: dict, frame: Frame) -> Parser:
        prefix_chars = kwargs.get("prefix_chars", "-")
        parser = Parser(
            line=node.lineno,
            prefix_chars=prefix_chars if isinstance(prefix_chars, str) and prefix_chars else "-",
            argument_default=kwargs.get("argument_default"),
        )
        parents = kwargs.get("parents", args[5] if len(args) > 5 else [])
        if isinstance(parents, (list, tuple)):
            for parent in parents:
                if isinstance(parent, Parser):
                    for key, argument in parent.arguments.items():
                        parser.arguments[key] = argument
                    parser.owner_of_flag.update(parent.owner_of_flag)
                    parser.defaults.update(parent.defaults)
                else:
                    self._warn(
                        frame.module,
                        node.lineno,
                        "A parent parser could not be resolved; its arguments are missing.",
                    )
        elif "parents" in kwargs:
            self._warn(
                frame.module,
                node.lineno,
                "parents=... could not be resolved; the parent parsers' arguments are missing.",
            )
        self.parsers.append(parser)
        return parser

    def _parser_method(self, method: BoundMethod, node: ast.Call, frame: Frame) -> Any:
        target = method.target
        parser = target.parser if isinstance(target, (Group, Subparsers)) else target
        name = method.name
        module = frame.module
        if isinstance(target, Subparsers):
            if name == "add_parser":
                sub = Parser(line=node.lineno, is_subparser=True)
                self.parsers.append(sub)
                return sub
            return Unknown(module.segment(node))
        if name == "add_argument":
            self._add_argument(parser, node, frame)
            return Unknown(module.segment(node))
        if name in ("add_argument_group", "add_mutually_exclusive_group"):
            self._call_arguments(node, frame)
            return Group(parser)
        if name == "set_defaults":
            _, kwargs, complete = self._call_arguments(node, frame)
            if not complete:
                self._warn(module, node.lineno, "set_defaults(**...) could not be resolved.")
            for dest, value in kwargs.items():
                default = self._json_value(value, dest, node, frame, what="default")
                parser.defaults[dest] = default
                for argument in parser.arguments.values():
                    if argument.dest == dest:
                        argument.default = default
            return None
        if name == "add_subparsers":
            if not parser.is_subparser:
                self._warn(
                    module,
                    node.lineno,
                    "Sub-commands (add_subparsers) are not "
                    "supported for publishing; their arguments are not read.",
                )
            return Subparsers(parser)
        if name in PARSE_METHODS:
            self._call_arguments(node, frame)
            self.parse_calls.append(parser)
            namespace = Unknown(module.segment(node))
            return (namespace, Unknown("unknown")) if "known" in name else namespace
        self._call_arguments(node, frame)
        return Unknown(module.segment(node))

    def _json_value(self, value: Any, name: str, node: ast.AST, frame: Frame, what: str) -> Any:
        if isinstance(value, Unknown):
            self._warn(
                frame.module,
                node.lineno,
                f"The {what} of '{name}' is computed at run "
                f"time ({value.source}); kept as an expression.",
            )
            return {"expr": value.source}
        if not is_constant(value):
            source = frame.module.segment(node)
            self._warn(
                frame.module,
                node.lineno,
                f"The {what} of '{name}' is not a plain value; kept as an expression.",
            )
            return {"expr": source}
        return to_json(value, repr(value))

    def _keyword_node(self, node: ast.Call, name: str) -> ast.expr | None:
        for keyword in node.keywords:
            if keyword.arg == name:
                return keyword.value
        return None

    def _add_argument(self, parser: Parser, node: ast.Call, frame: Frame) -> None:  # noqa: C901
        module = frame.module
        args, kwargs, complete = self._call_arguments(node, frame)
        if not complete:
            self._warn(
                module,
                node.lineno,
                "add_argument(*...) or (**...) could not be fully "
                "resolved; some settings of this argument may be missing.",
            )
        if not all(isinstance(a, str) and a for a in args):
            self._warn(
                module,
                node.lineno,
                "The option names of this argument are computed at "
                "run time; the argument is missing.",
            )
            return
        chars = parser.prefix_chars
        positional = not args or (len(args) == 1 and args[0][0] not in chars)
        if positional:
            dest = args[0] if args else kwargs.get("dest")
            flags: list[str] = []
        else:
            if any(a[0] not in chars for a in args):
                self._warn(module, node.lineno, f"Invalid option names {args}; skipped.")
                return
            flags = list(args)
            dest = kwargs.get("dest")
            if dest is None:
                long_flags = [f for f in flags if len(f) > 1 and f[1] in chars]
                dest = (long_flags or flags)[0].lstrip(chars).replace("-", "_")
        if not isinstance(dest, str) or not dest:
            self._warn(
                module,
                node.lineno,
                "The name (dest) of this argument cannot be resolved; the argument is missing.",
            )
            return

        action_value = kwargs.get("action", "store")
        if isinstance(action_value, str):
            action = (
                action_value
                if action_value in KNOWN_ACTIONS
                else ("help" if action_value == "help" else "other")
            )
        elif (
            isinstance(action_value, ArgparseName) and action_value.name == "BooleanOptionalAction"
        ):
            action = "BooleanOptionalAction"
        else:
            action = "other"
        if action == "help":
            return
        if action == "BooleanOptionalAction":
            # argparse adds a --no-NAME twin for every long option.
            flags = [
                twin
                for flag in flags
                for twin in ([flag, "--no-" + flag[2:]] if flag.startswith("--") else [flag])
            ]

        type_node = self._keyword_node(node, "type")
        if action in BOOLEAN_ACTIONS:
            type_name = "bool"
        elif "type" in kwargs:
            value = kwargs["type"]
            if isinstance(value, Builtin) and value.name in BUILTIN_TYPES:
                type_name = value.name
            elif type_node is not None:
                type_name = module.segment(type_node)
            else:
                type_name = "other"
        else:
            type_name = None

        # Flag-like actions consume no values: argparse records nargs=0 for them.
        is_version = action_value == "version"
        nargs = 0 if action in ZERO_NARGS_ACTIONS or is_version else kwargs.get("nargs")
        if not (nargs is None or isinstance(nargs, (int, str))):
            nargs = self._json_value(nargs, dest, node, frame, what="nargs")

        if "default" in kwargs:
            default = self._json_value(kwargs["default"], dest, node, frame, what="default")
        elif dest in parser.defaults:
            default = parser.defaults[dest]
        elif parser.argument_default is not None:
            default = self._json_value(parser.argument_default, dest, node, frame, what="default")
        elif is_version:
            default = SUPPRESS
        else:
            default = {"store_true": False, "store_false": True}.get(action)

        if positional:
            required = nargs not in ("?", "*") or (nargs == "*" and "default" not in kwargs)
        else:
            required_value = kwargs.get("required", False)
            if is_constant(required_value):
                required = bool(required_value)
            else:
                self._warn(
                    module,
                    node.lineno,
                    f"Whether '{dest}' is required is decided at run time; listed as not required.",
                )
                required = False

        choices = kwargs.get("choices")
        if isinstance(choices, dict):
            choices = list(choices)
        elif isinstance(choices, str):
            choices = list(choices)
        if choices is not None:
            choices = self._json_value(choices, dest, node, frame, what="choices")
        help_text = kwargs.get(
            "help", "show program's version number and exit" if is_version else None
        )
        if help_text is not None and not isinstance(help_text, str):
            help_text = self._json_value(help_text, dest, node, frame, what="help")

        if self.conditional:
            self._warn(
                module,
                node.lineno,
                f"'{dest}' is added under a condition known only at "
                "run time; it is listed as always present.",
            )
        key = flags[0] if flags else f"{dest}@{module.relative}:{node.lineno}"
        for flag in flags:
            previous = parser.owner_of_flag.get(flag)
            if previous is not None and previous in parser.arguments:
                old = parser.arguments.pop(previous)
                self._warn(
                    module,
                    node.lineno,
                    f"Option {flag} is defined again (first at line "
                    f"{old.line}); the later definition is used.",
                )
        parser.arguments[key] = Argument(
            dest=dest,
            flags=flags,
            action=action,
            type=type_name,
            nargs=nargs,
            default=default,
            required=required,
            choices=choices,
            help=help_text,
            line=node.lineno,
            explicit_default="default" in kwargs,
        )
        for flag in flags:
            parser.owner_of_flag[flag] = key

    # -- MLReef's legacy decorators ---------------------------------------------------------------
    def _legacy_parameters(self, module: LoadedModule) -> list[dict]:
        """Read ``@parameter(name, type, required, defaultValue, description)`` decorators."""
        frame = Frame(module, module.globals)
        parameters = []
        for node in ast.walk(module.tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                if not isinstance(decorator, ast.Call):
                    continue
                name = (
                    decorator.func.attr
                    if isinstance(decorator.func, ast.Attribute)
                    else (decorator.func.id if isinstance(decorator.func, ast.Name) else "")
                )
                if name != "parameter":
                    continue
                args, kwargs, _ = self._call_arguments(decorator, frame)
                fields = dict(
                    zip(
                        ("name", "type", "required", "defaultValue", "description"),
                        args,
                        strict=False,
                    )
                )
                fields.update(kwargs)
                param_name = fields.get("name")
                if not isinstance(param_name, str):
                    self._warn(
                        module, decorator.lineno, "A @parameter without a literal name is skipped."
                    )
                    continue
                declared_type = fields.get("type")
                parameters.append(
                    {
                        "name": param_name,
                        "flags": [f"--{param_name}"],
                        "action": "store",
                        "type": _legacy_type(declared_type),
                        "nargs": None,
                        "default": self._json_value(
                            fields.get("defaultValue"), param_name, decorator, frame, what="default"
                        ),
                        "required": bool(fields.get("required", False))
                        if is_constant(fields.get("required", False))
                        else False,
                        "choices": None,
                        "help": fields.get("description")
                        if isinstance(fields.get("description"), str)
                        else None,
                    }
                )
        return parameters


def _legacy_type(declared: Any) -> str | None:
    if not isinstance(declared, str):
        return None
    lowered = declared.lower()
    mapping = {
        "float": "float",
        "integer": "int",
        "int": "int",
        "boolean": "bool",
        "bool": "bool",
        "string": "str",
        "str": "str",
    }
    return mapping.get(lowered, declared)


def read_entrypoint(entrypoint: Path | str, repo_root: Path | str) -> dict:
    """Read the parameters of ``entrypoint`` (a path inside ``repo_root``) without running it."""
    root = Path(repo_root)
    if not root.is_dir():
        raise EntrypointError(f"{repo_root}: repository root is not a directory")
    return EntrypointReader(root).read(Path(entrypoint))


def convention_problem(result: dict) -> str | None:
    """Why publishing must refuse this entry point, with the fix; None when it conforms."""
    declared = {flag for parameter in result["parameters"] for flag in parameter["flags"]}
    missing = [flag for flag in CONVENTION_FLAGS if flag not in declared]
    if not missing:
        return None
    lines = "\n".join(
        f'    parser.add_argument("{flag}", required=True, help="Folder '
        f'{"with the input data" if flag == "--input-path" else "for the results"}")'
        for flag in missing
    )
    return (
        f"{result['entrypoint']} does not declare {' and '.join(missing)}. The platform passes "
        "the input and output folders with these flags; add them to the argparse parser:\n" + lines
    )
