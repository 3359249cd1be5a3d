"""Computing with values the reader knows, within the budget (see ``budget``).

Operators, comparisons, f-strings, a few builtins and methods of plain data, and comprehensions
over literal data. Before an operation that can grow a value (``*``, ``**``, ``%``, ``join``,
``replace``, ``format``, ``range``) the size of its result is predicted from its operands, and
nothing that would reach the limit is built; every other result is measured before it is kept.
"""

from __future__ import annotations

import ast
import re
from collections import ChainMap
from typing import Any

from .budget import MAX_INT_BITS, MAX_VALUE_SIZE, int_bits, predicted_power_bits
from .values import SAFE_BUILTINS, ClassRef, EnumMember, Frame, Unknown, enum_members

OPERATORS = {
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
COMPARISONS = {
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
# Builtins that only rearrange what they are given: they may hold known non-plain values
# (a dict of `{"lr": (float, 0.1)}`), the others need plain data.
STRUCTURAL_BUILTINS = {"list", "tuple", "sorted", "len", "reversed", "enumerate", "zip", "dict"}
STRUCTURAL_METHODS = {"keys", "values", "items", "get", "copy", "index", "count"}
WIDE_NUMBER = re.compile(r"\d{6,}")  # a width or precision of MAX_VALUE_SIZE (100,000) or more
ERRORS = (TypeError, ValueError, ZeroDivisionError, OverflowError, KeyError, IndexError)


def _sequence(value: Any) -> bool:
    return isinstance(value, (str, bytes, list, tuple))


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Computation:
    """Mixin of EntrypointReader: compute results and keep only those within the budget."""

    # -- keeping values ---------------------------------------------------------------------
    def _constant(self, value: Any) -> bool:
        return self.budget.is_constant(value)

    def _known(self, value: Any) -> bool:
        """Known at this level (items may be any abstract value, but not run-time unknowns)."""
        if isinstance(value, Unknown):
            return False
        if isinstance(value, dict):
            return Unknown not in set(map(type, value.values()))
        if isinstance(value, (list, tuple, set, frozenset)):
            return Unknown not in set(map(type, value))
        return True

    def _iterable(self, value: Any) -> Any:
        """What a loop walks: a dict's keys, an enum class's members (``for m in Mode``)."""
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, ClassRef) and value.is_enum():
            return [EnumMember(value, name, member) for name, member in enum_members(value)]
        return value

    def _size(self, value: Any) -> int:
        """Size for predictions; a value too large to measure counts as the limit."""
        size = self.budget.size_of(value)
        return MAX_VALUE_SIZE if size is None else size

    def _keep(self, value: Any, node: ast.AST, frame: Frame) -> Any:
        size = self.budget.size_of(value)
        if size is None:
            self.budget.charge(MAX_VALUE_SIZE)  # it was built (and dropped): that was work
            return self._too_large(node, frame)
        self.budget.charge(size)
        return value

    def _too_large(self, node: ast.AST, frame: Frame) -> Unknown:
        source = frame.module.segment(node)
        shown = source if len(source) <= 60 else source[:57] + "..."
        self._warn(
            frame.module,
            node.lineno,
            f"'{shown}' would build a value too large or too deeply nested for the reader "
            f"(the limit is {MAX_VALUE_SIZE:,} items); kept as an expression.",
        )
        return Unknown(source)

    # -- operators --------------------------------------------------------------------------
    def _binop(self, op: ast.operator, left: Any, right: Any, node: ast.AST, frame: Frame) -> Any:
        operation = OPERATORS.get(type(op))
        if operation is None or not (self._constant(left) and self._constant(right)):
            return Unknown(frame.module.segment(node))
        if self._grows_too_much(op, left, right):
            return self._too_large(node, frame)
        self.budget.charge(self._size(left) + self._size(right))
        try:
            result = operation(left, right)
        except ERRORS:
            return Unknown(frame.module.segment(node))
        return self._keep(result, node, frame)

    def _grows_too_much(self, op: ast.operator, left: Any, right: Any) -> bool:
        """Whether the result would reach the size limit, predicted without computing it."""
        if isinstance(op, ast.Mult):
            if _count(left) and _count(right):
                return int_bits(left) + int_bits(right) > MAX_INT_BITS
            for sequence, times in ((left, right), (right, left)):
                if _sequence(sequence) and _count(times) and times > 0:
                    return self._size(sequence) * times >= MAX_VALUE_SIZE
            return False
        if isinstance(op, ast.Pow):
            return _count(left) and predicted_power_bits(left, right) > MAX_INT_BITS
        if isinstance(op, ast.Add):
            return self._size(left) + self._size(right) >= MAX_VALUE_SIZE
        if isinstance(op, ast.Mod) and isinstance(left, (str, bytes)):
            values = right if isinstance(right, tuple) else (right,)
            if isinstance(right, dict):
                values = tuple(right.values())
            marker = "%" if isinstance(left, str) else b"%"
            return self._format_grows_too_much(left, values, left.count(marker))
        return False

    def _format_grows_too_much(self, template: Any, values: Any, fields: int) -> bool:
        """For ``%`` and ``str.format``: widths in the template or passed as ``*`` values."""
        text = template if isinstance(template, str) else template.decode("latin-1")
        if WIDE_NUMBER.search(text):
            return True
        if any(_count(v) and abs(v) >= MAX_VALUE_SIZE for v in values) and (
            "*" in text or re.search(r"\{[^{}]*\{", text)
        ):
            return True
        largest = max((self._size(v) for v in values), default=0)
        return len(text) + fields * (largest + 20) >= MAX_VALUE_SIZE

    def _compare(self, node: ast.Compare, frame: Frame) -> Any:
        left = self._eval(node.left, frame)
        comparators = [self._eval(c, frame) for c in node.comparators]
        if not (self._constant(left) and all(self._constant(c) for c in comparators)):
            return Unknown(frame.module.segment(node))
        self.budget.charge(self._size(left) + sum(self._size(c) for c in comparators))
        try:
            for op, right in zip(node.ops, comparators, strict=True):
                if not COMPARISONS[type(op)](left, right):
                    return False
                left = right
        except TypeError:
            return Unknown(frame.module.segment(node))
        return True

    def _fstring(self, node: ast.JoinedStr, frame: Frame) -> Any:
        parts = []
        length = 0
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
                length += len(parts[-1])
                continue
            assert isinstance(value, ast.FormattedValue)
            inner = self._eval(value.value, frame)
            spec = self._eval(value.format_spec, frame) if value.format_spec else ""
            if not self._constant(inner) or not isinstance(spec, str):
                return Unknown(frame.module.segment(node))
            if WIDE_NUMBER.search(spec) or length + self._size(inner) >= MAX_VALUE_SIZE:
                return self._too_large(node, frame)
            conversion = {115: str, 114: repr, 97: ascii}.get(value.conversion)
            try:
                parts.append(format(conversion(inner) if conversion else inner, spec))
            except ERRORS:
                return Unknown(frame.module.segment(node))
            length += len(parts[-1])
            if length >= MAX_VALUE_SIZE:
                return self._too_large(node, frame)
        return "".join(parts)

    # -- builtins and methods of plain data -------------------------------------------------
    def _call_builtin(self, name: str, args: list, kwargs: dict, node: ast.Call, frame: Frame):
        allowed = self._known if name in STRUCTURAL_BUILTINS else self._constant
        if not (all(allowed(a) for a in args) and all(allowed(v) for v in kwargs.values())):
            return Unknown(frame.module.segment(node))
        try:
            if name == "range" and len(range(*args)) + 1 >= MAX_VALUE_SIZE:
                return self._too_large(node, frame)
            if name == "round" and len(args) > 1 and _count(args[1]) and abs(args[1]) > 400:
                return Unknown(frame.module.segment(node))
        except ERRORS:
            return Unknown(frame.module.segment(node))
        self.budget.charge(sum(self._size(a) for a in [*args, *kwargs.values()]))
        try:
            result = SAFE_BUILTINS[name](*args, **kwargs)
        except Exception:  # noqa: BLE001 - user values may not fit; stay unknown
            return Unknown(frame.module.segment(node))
        return self._keep(result, node, frame)

    def _call_method(self, target: Any, name: str, args: list, kwargs: dict, node, frame):
        values = [*args, *kwargs.values()]
        if not all(self._constant(v) for v in values):
            return Unknown(frame.module.segment(node))
        if isinstance(target, str) and self._string_grows_too_much(target, name, args, kwargs):
            return self._too_large(node, frame)
        self.budget.charge(self._size(target) + sum(self._size(v) for v in values))
        try:
            result = getattr(target, name)(*args, **kwargs)
        except Exception:  # noqa: BLE001
            return Unknown(frame.module.segment(node))
        if type(result).__name__ in ("dict_keys", "dict_values", "dict_items"):
            result = list(result)
        return self._keep(result, node, frame)

    def _string_grows_too_much(self, text: str, name: str, args: list, kwargs: dict) -> bool:
        if name == "format":
            fields = text.count("{")
            return self._format_grows_too_much(text, [*args, *kwargs.values()], fields)
        if name == "join" and args and isinstance(args[0], (list, tuple, set, frozenset)):
            items = args[0]
            total = sum(self._size(i) for i in items) + len(text) * len(items)
            return total >= MAX_VALUE_SIZE
        if name == "replace" and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
            old, new = args[0], args[1]
            times = text.count(old) if old else len(text) + 1
            if len(args) > 2 and _count(args[2]) and args[2] >= 0:
                times = min(times, args[2])
            return len(text) + times * max(0, len(new) - len(old)) >= MAX_VALUE_SIZE
        return False

    # -- comprehensions ---------------------------------------------------------------------
    def _comprehension(self, node: ast.expr, frame: Frame) -> Any:
        """``[2 ** i for i in range(5, 9)]`` and friends over known data, in their own scope."""
        scope = Frame(frame.module, ChainMap({}, frame.locals), frame.function)
        results: list = []
        saved = self.budget.share()
        try:
            complete = self._generate(node, node.generators, scope, results)
            ran_out = self.budget.exhausted
        finally:
            self.budget.restore(saved)
        if not complete:
            if ran_out:
                self._warn(
                    frame.module,
                    node.lineno,
                    "This comprehension is too long for the reader's budget; kept as an "
                    "expression.",
                )
            return Unknown(frame.module.segment(node))
        if isinstance(node, ast.DictComp):
            if not all(self._constant(key) for key, _ in results):
                return Unknown(frame.module.segment(node))
            value: Any = dict(results)
        elif isinstance(node, ast.SetComp):
            if not self._constant(results):
                return Unknown(frame.module.segment(node))
            value = set(results)
        else:  # lists and generator expressions (consumed at once, as by list() or join)
            value = results
        return self._keep(value, node, frame)

    def _generate(self, node: ast.expr, generators: list, scope: Frame, results: list) -> bool:
        first, rest = generators[0], generators[1:]
        iterable = self._iterable(self._eval(first.iter, scope))
        if not (isinstance(iterable, (list, tuple, str, set, frozenset)) and self._known(iterable)):
            return False
        for item in iterable:
            if self.budget.exhausted or len(results) >= MAX_VALUE_SIZE:
                return False
            self._assign(first.target, item, scope)
            tests = [self._eval(test, scope) for test in first.ifs]
            if not all(self._constant(test) for test in tests):
                return False
            if not all(tests):
                continue
            if rest:
                if not self._generate(node, rest, scope, results):
                    return False
            elif isinstance(node, ast.DictComp):
                results.append((self._eval(node.key, scope), self._eval(node.value, scope)))
            else:
                results.append(self._eval(node.elt, scope))
        return True
