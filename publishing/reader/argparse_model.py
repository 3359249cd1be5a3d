"""The argparse model: parsers, groups and the arguments argparse would build for them."""

from __future__ import annotations

import ast
from typing import Any

from .source import LoadedModule
from .styles import jsonargparse
from .values import (
    BOOLEAN_ACTIONS,
    BUILTIN_TYPES,
    KNOWN_ACTIONS,
    PARSE_METHODS,
    SUPPRESS,
    ZERO_NARGS_ACTIONS,
    ArgparseName,
    Argument,
    BoundMethod,
    Builtin,
    Frame,
    FunctionRef,
    Group,
    Parser,
    Subparsers,
    Unknown,
    to_json,
)


class ArgparseModel:
    """Mixin of EntrypointReader: what ArgumentParser calls do."""

    def _call_parser_factories(self, module: LoadedModule) -> None:
        """No code path built a parser: try the functions that do (``def get_parser(): ...``),
        for scripts whose entry function is called by something we cannot see."""
        for name, value in list(module.globals.items()):
            if (
                isinstance(value, FunctionRef)
                and value.module is module
                and "ArgumentParser" in module.segment(value.node)  # cheaper than a walk
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
        if parser.style == "jsonargparse" and jsonargparse.parser_method(
            self, parser, name, node, frame
        ):
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
        if not self._constant(value):
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
        if self.budget.exhausted:  # its arguments were cut short by the budget
            return
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
            elif isinstance(value, FunctionRef) and not (
                type_node is not None and module.segment(type_node).endswith(value.node.name)
            ):  # passed through a variable (a loop over a table of types): its own name
                type_name = value.node.name
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
            if self._constant(required_value):
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
