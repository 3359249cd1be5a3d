"""Evaluating expressions and calls, with constants computed and everything else kept as text."""

from __future__ import annotations

import ast
from collections import ChainMap
from typing import Any

from .budget import MAX_NESTING, MAX_STEPS, MAX_TOTAL_SIZE
from .computation import STRUCTURAL_METHODS
from .libraries import canonical
from .values import (
    ARGPARSE,
    MAX_CALL_DEPTH,
    SAFE_BUILTINS,
    SAFE_METHODS,
    ArgparseName,
    BoundMethod,
    BoundUserMethod,
    BreakLoop,
    Builtin,
    ClassRef,
    Command,
    ContinueLoop,
    EnumMember,
    Frame,
    FunctionRef,
    Group,
    Instance,
    Library,
    LibraryCall,
    ModuleRef,
    Parser,
    ReturnValue,
    Subparsers,
    SuperRef,
    Unknown,
)


class Expressions:
    """Mixin of EntrypointReader: evaluate an expression in a frame."""

    def _eval(self, node: ast.expr | None, frame: Frame) -> Any:
        """Every evaluation is a step of the budget; past it, or nested too deeply, the
        expression is kept as its source text."""
        if node is None:
            return None
        budget = self.budget
        if not budget.step():
            return self._out_of_budget(node, frame)
        if budget.nesting >= MAX_NESTING:
            self._warn(
                frame.module,
                node.lineno,
                "This expression nests too deeply for the reader; kept as an expression.",
            )
            return Unknown(frame.module.segment(node))
        budget.nesting += 1
        try:
            return self._eval_node(node, frame)
        finally:
            budget.nesting -= 1

    def _out_of_budget(self, node: ast.AST, frame: Frame) -> Unknown:
        """Past the budget: warn once for the whole file (a loop's share warns for itself)."""
        if self.budget.steps >= MAX_STEPS or self.budget.size >= MAX_TOTAL_SIZE:
            if not self.budget_warned:
                self.budget_warned = True
                self._warn(
                    frame.module,
                    getattr(node, "lineno", 1),
                    f"The reader's budget ({MAX_STEPS:,} evaluation steps, {MAX_TOTAL_SIZE:,} "
                    "items of values) is used up here; the rest of the file is kept as "
                    "expressions and arguments it adds are missing.",
                )
        return Unknown(frame.module.segment(node) if isinstance(node, ast.expr) else "...")

    def _eval_node(self, node: ast.expr, frame: Frame) -> Any:  # noqa: C901 - a dispatcher
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
                if self.budget.exhausted:  # no use visiting the rest of a huge literal
                    return self._out_of_budget(node, frame)
                if isinstance(element, ast.Starred):
                    value = self._eval(element.value, frame)
                    if not isinstance(value, (list, tuple, set, frozenset, str)):
                        return Unknown(module.segment(node))
                    items.extend(value)
                else:
                    items.append(self._eval(element, frame))
            if isinstance(node, ast.Tuple):
                return self._keep(tuple(items), node, frame)
            if isinstance(node, ast.Set):
                if not self._constant(items):
                    return Unknown(module.segment(node))
                return self._keep(set(items), node, frame)
            return self._keep(items, node, frame)
        if isinstance(node, ast.Dict):
            result = {}
            for key_node, value_node in zip(node.keys, node.values, strict=True):
                if self.budget.exhausted:
                    return self._out_of_budget(node, frame)
                if key_node is None:
                    merged = self._eval(value_node, frame)
                    if not isinstance(merged, dict):
                        return Unknown(module.segment(node))
                    result.update(merged)
                    continue
                key = self._eval(key_node, frame)
                if not self._constant(key):
                    return Unknown(module.segment(node))
                result[key] = self._eval(value_node, frame)
            return self._keep(result, node, frame)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return self._comprehension(node, frame)
        if isinstance(node, ast.BinOp):
            return self._binop(
                node.op, self._eval(node.left, frame), self._eval(node.right, frame), node, frame
            )
        if isinstance(node, ast.UnaryOp):
            operand = self._eval(node.operand, frame)
            if self._constant(operand):
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
            if all(self._constant(v) for v in values):
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
            if self._constant(test):
                return self._eval(node.body if test else node.orelse, frame)
            return Unknown(module.segment(node))
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, frame)
        if isinstance(node, ast.Subscript):
            container = self._eval(node.value, frame)
            index = self._eval(node.slice, frame)
            if isinstance(container, (list, tuple, str, dict)) and (
                self._constant(index) or isinstance(index, slice)
            ):
                try:
                    return container[index]  # type: ignore[index]
                except (KeyError, IndexError, TypeError):
                    pass
            return Unknown(module.segment(node))
        if isinstance(node, ast.Slice):
            parts = [self._eval(p, frame) for p in (node.lower, node.upper, node.step)]
            if all(self._constant(p) for p in parts):
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
        if isinstance(base, Library):
            return Library(canonical(f"{base.name}.{node.attr}"))
        if isinstance(base, LibraryCall):  # app.command, parser.add_class_arguments...
            return Library(f"{base.name}().{node.attr}", owner=base)
        if isinstance(base, Command):  # a click group's .command()
            return Library(f"click.command().{node.attr}", owner=base)
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
        elif isinstance(base, EnumMember) and node.attr in ("name", "value"):
            return getattr(base, node.attr)
        elif isinstance(base, ClassRef):
            found = base.lookup(node.attr)
            if found and base.is_enum() and not isinstance(found[1], FunctionRef):
                return EnumMember(base, node.attr, found[1])
            return found[1] if found else Unknown(dotted)
        else:
            found = None
        if found is not None:
            value = found[1]
            return BoundUserMethod(base, value) if isinstance(value, FunctionRef) else value
        if node.attr in SAFE_METHODS.get(type(base), ()) and (
            self._constant(base) or (node.attr in STRUCTURAL_METHODS and self._known(base))
        ):
            return BoundMethod(base, node.attr)
        return Unknown(dotted)

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
        if self.budget.exhausted:  # its arguments were cut short: do not act on them
            return Unknown(module.segment(node))
        if isinstance(function, Library):
            return self._library_call(function, args, kwargs, node, frame)
        if isinstance(function, (LibraryCall, Command)) and args:
            decorated = self._decorate(function, args[0], node, frame)
            if decorated is not None:
                return decorated
        if isinstance(function, Command):
            self.invoked.append(function)
            return Unknown(module.segment(node))
        if isinstance(function, LibraryCall) and function.name == "typer.Typer":
            self.invoked.append(function)  # app() runs the typer app
            return Unknown(module.segment(node))
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
            return self._call_builtin(function.name, args, kwargs, node, frame)
        if isinstance(function, BoundMethod) and complete:
            return self._call_method(function.target, function.name, args, kwargs, node, frame)
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
            scope = ChainMap(local, function.closure) if function.closure is not None else local
            self._exec_block(definition.body, Frame(callee, scope, function))
        except ReturnValue as returned:
            return returned.value
        except (BreakLoop, ContinueLoop):
            pass
        except RecursionError:
            self._warn(callee, definition.lineno, "Calls nest too deeply; stopped following.")
        finally:
            self.call_stack.pop()
            self.call_stack.pop()
        return None
