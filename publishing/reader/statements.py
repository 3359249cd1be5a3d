"""Executing statements abstractly: assignments, conditions, literal loops, classes."""

from __future__ import annotations

import ast
from typing import Any

from .budget import MAX_NESTING
from .source import LoadedModule
from .values import (
    NO_VALUE,
    BreakLoop,
    ClassRef,
    Command,
    ContinueLoop,
    Frame,
    FunctionRef,
    Instance,
    Library,
    LibraryCall,
    Parser,
    ReturnValue,
    Unknown,
)

# Calls that add parameters (argparse, jsonargparse, click); absl's are flags.DEFINE_*.
BUILDERS = {
    "add_argument",
    "add_parser",
    "set_defaults",
    "add_class_arguments",
    "add_function_arguments",
    "option",
    "argument",
    "command",  # click groups' and typer apps' commands
}


class Statements:
    """Mixin of EntrypointReader: run a block of statements in a frame."""

    def _exec_block(self, body: list[ast.stmt], frame: Frame) -> None:
        for statement in body:
            self._exec(statement, frame)

    def _exec(self, node: ast.stmt, frame: Frame) -> None:
        budget = self.budget
        if not budget.step():
            self._out_of_budget(node, frame)
            return
        if budget.nesting >= MAX_NESTING:
            self._warn(frame.module, node.lineno, "Code nests too deeply for the reader; skipped.")
            return
        budget.nesting += 1
        try:
            self._exec_statement(node, frame)
        finally:
            budget.nesting -= 1

    def _exec_statement(self, node: ast.stmt, frame: Frame) -> None:  # noqa: C901 - a dispatcher
        module = frame.module
        if isinstance(node, ast.Import):
            for alias in node.names:
                self._exec_import(alias, frame, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            self._exec_import_from(node, frame)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            frame.locals[node.name] = self._decorated_function(node, frame)
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
            raise ReturnValue(self._eval(node.value, frame) if node.value else None)
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
            raise BreakLoop()
        elif isinstance(node, ast.Continue):
            raise ContinueLoop()
        elif isinstance(node, ast.Match):
            self._warn_if_builds(node, module, "a match statement")

    def _decorated_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, frame: Frame):
        """A function, wrapped by the click/typer decorators it carries (others are ignored:
        the reader needs the function itself)."""
        closure = frame.locals if frame.function is not None else None
        value: Any = FunctionRef(frame.module, node, closure=closure)
        for decorator in reversed(node.decorator_list):
            applied = self._eval(decorator, frame)
            if isinstance(applied, (Library, LibraryCall, Command)):
                value = self._decorate(applied, value, decorator, frame) or value
            elif isinstance(applied, FunctionRef):  # a helper decorator of the repository
                result = self._call_function(applied, decorator, [value], {}, frame)
                if isinstance(result, Command):
                    value = result
        return value

    def _define_class(self, node: ast.ClassDef, frame: Frame) -> ClassRef:
        evaluated = [self._eval(base, frame) for base in node.bases]
        bases = [b for b in evaluated if isinstance(b, ClassRef)]
        cls = ClassRef(frame.module, node.name, bases, {}, node=node)
        cls.library_bases = [b.name for b in evaluated if isinstance(b, Library)]
        cls.decorators = [self._eval(d, frame) for d in node.decorator_list]
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                value = NO_VALUE if statement.value is None else self._eval(statement.value, frame)
                cls.annotated.append(
                    (statement.target.id, statement.annotation, value, statement.lineno)
                )
                if value is not NO_VALUE:
                    cls.namespace[statement.target.id] = value
                continue
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
        if self._constant(test):
            self._exec_block(node.body if test else node.orelse, frame)
            return
        self.conditional += 1
        try:
            self._exec_block(node.body, frame)
            self._exec_block(node.orelse, frame)
        finally:
            self.conditional -= 1

    def _exec_for(self, node: ast.For | ast.AsyncFor, frame: Frame) -> None:
        """Unroll a loop over known data, within half of what is left of the budget (nested
        loops share it), so that a loop too long to read leaves the rest of the file readable."""
        iterable = self._iterable(self._eval(node.iter, frame))
        if not (isinstance(iterable, (list, tuple, str, set, frozenset)) and self._known(iterable)):
            self._warn_if_builds(
                node, frame.module, f"a loop over '{frame.module.segment(node.iter)}'"
            )
            return
        saved = self.budget.share()
        done = 0
        try:
            for item in iterable:
                if self.budget.exhausted:
                    break
                self._assign(node.target, item, frame)
                try:
                    self._exec_block(node.body, frame)
                except BreakLoop:
                    return
                except ContinueLoop:
                    pass
                done += 1
            else:
                self._exec_block(node.orelse, frame)
            stopped = self.budget.exhausted
        finally:
            self.budget.restore(saved)
        if stopped and node not in self.stopped_loops:
            self.stopped_loops.add(node)
            self._warn(
                frame.module,
                node.lineno,
                f"The loop over '{frame.module.segment(node.iter)}' is too long for the "
                f"reader's budget: stopped after {done:,} of {len(iterable):,} items; what it "
                "adds after that is missing.",
            )

    def _warn_if_builds(self, node: ast.AST, module: LoadedModule, what: str) -> None:
        """Warn when code the reader skips would add arguments (looked up once per node)."""
        if node not in self.builder_lines:
            self.builder_lines[node] = next(
                (
                    child.lineno
                    for child in ast.walk(node)
                    if isinstance(child, ast.Call)
                    and isinstance(child.func, ast.Attribute)
                    and (child.func.attr in BUILDERS or child.func.attr.startswith("DEFINE_"))
                ),
                None,
            )
        line = self.builder_lines[node]
        if line is not None:
            self._warn(
                module,
                line,
                f"Arguments added in {what} (line "
                f"{node.lineno}) cannot be read statically and are missing.",
            )
