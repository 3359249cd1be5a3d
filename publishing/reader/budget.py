"""What one read may spend: evaluation steps and value sizes, for the whole file together.

A script is data to the reader, but the reader computes with it (``"x" * 3``, loops over literal
lists, helper calls), so a hostile or unlucky file could make it compute for minutes or build a
value of gigabytes. Every evaluation step and every value built is charged to one budget per
read, shared by nested loops and calls. A value whose size would reach ``MAX_VALUE_SIZE`` is not
built at all: its size is predicted from its operands first. When the budget runs out, the
reader stops computing and keeps source text with a warning, as for anything it cannot know.

Sizes count items, not bytes: a scalar is 1, a string its length, a container 1 plus the sizes
of what it holds (a list repeating one inner list counts it each time, as JSON would print it).
"""

from __future__ import annotations

import math
from typing import Any

MAX_STEPS = 50_000  # statements and expressions evaluated, whole file
MAX_TOTAL_SIZE = 2_000_000  # items built or walked by builtins, whole file
MAX_VALUE_SIZE = 100_000  # one value must stay below this
MAX_VALUE_DEPTH = 32  # containers nested deeper are not kept
MAX_INT_BITS = 4096
MAX_NESTING = 120  # expression and call nesting of the reader's own recursion


class Budget:
    """Counters of one read. ``limit_*`` can be lowered for a loop and restored after it."""

    def __init__(self) -> None:
        self.steps = 0
        self.size = 0
        self.limit_steps = MAX_STEPS
        self.limit_size = MAX_TOTAL_SIZE
        self.nesting = 0
        self._sizes: dict[int, tuple[Any, tuple[int, int]]] = {}
        self._constants: dict[int, tuple[Any, bool]] = {}

    @property
    def exhausted(self) -> bool:
        return self.steps >= self.limit_steps or self.size >= self.limit_size

    def step(self) -> bool:
        """Charge one evaluation step; False when the budget (or a loop's share) is spent."""
        if self.exhausted:
            return False
        self.steps += 1
        return True

    def charge(self, size: int) -> bool:
        """Charge work or values proportional to ``size`` items."""
        self.size += size
        return not self.exhausted

    def share(self) -> tuple[int, int]:
        """Give a loop half of what is left, so a loop that runs too long leaves the rest of
        the file something to read. Returns the limits to restore afterwards."""
        saved = (self.limit_steps, self.limit_size)
        self.limit_steps = self.steps + max(0, self.limit_steps - self.steps) // 2
        self.limit_size = self.size + max(0, self.limit_size - self.size) // 2
        return saved

    def restore(self, saved: tuple[int, int]) -> None:
        self.limit_steps, self.limit_size = saved

    def is_constant(self, value: Any) -> bool:
        """Whether a value is plain data all the way down (cached: values never change)."""
        if is_plain(value):
            return True
        if not isinstance(value, (list, tuple, set, frozenset, dict)):
            return False
        known = self._constants.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        if isinstance(value, dict):
            result = all(self.is_constant(k) and self.is_constant(v) for k, v in value.items())
        elif set(map(type, value)) <= PLAIN_TYPES:
            result = True
        else:
            result = all(self.is_constant(item) for item in value)
        self._constants[id(value)] = (value, result)
        return result

    # -- sizes ------------------------------------------------------------------------------
    def size_of(self, value: Any) -> int | None:
        """The size of a value, or None when it is too big or too deep to keep.

        Values are never changed once built, so sizes are remembered by identity (the value is
        kept alongside, so its id stays its own)."""
        measured = self._measure(value)
        return None if measured is None or measured[1] > MAX_VALUE_DEPTH else measured[0]

    def _measure(self, value: Any) -> tuple[int, int] | None:
        """(size, height) of a value; None when too big."""
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return 1, 0
        if isinstance(value, int):
            return (1, 0) if value.bit_length() <= MAX_INT_BITS else None
        if isinstance(value, (str, bytes)):
            return (max(1, len(value)), 0) if len(value) < MAX_VALUE_SIZE else None
        if not isinstance(value, (list, tuple, set, frozenset, dict)):
            return 1, 0
        known = self._sizes.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        items = value.items() if isinstance(value, dict) else value
        if len(items) >= MAX_VALUE_SIZE:
            return None
        flat = _flat_measure(value) if value else None
        if flat is not None:
            return flat if flat[0] < MAX_VALUE_SIZE else None
        total, height = 1, 0
        for item in items:
            for part in item if isinstance(value, dict) else (item,):
                measured = self._measure(part)
                if measured is None or measured[1] >= MAX_VALUE_DEPTH:
                    return None
                total += measured[0]
                height = max(height, measured[1] + 1)
                if total >= MAX_VALUE_SIZE:
                    return None
        self._sizes[id(value)] = (value, (total, height))
        return total, height


NUMBERS = {int, float, bool, type(None)}
PLAIN_TYPES = NUMBERS | {str, bytes, complex}


def _flat_measure(value: Any) -> tuple[int, int] | None:
    """Size of a flat list of numbers or strings at C speed (``range(10_000)`` in a loop);
    None when the items are of other kinds (measured one by one)."""
    if isinstance(value, dict):
        return None
    kinds = set(map(type, value))
    if kinds <= {int, bool, float}:
        if int in kinds and int_bits(max(value, key=abs)) > MAX_INT_BITS:
            return MAX_VALUE_SIZE, 1
        return len(value) + 1, 1
    if kinds == {str}:
        return 1 + len(value) + sum(map(len, value)), 1
    return None


def int_bits(value: Any) -> int:
    """Bits of an int (bools and floats count as small)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 1
    return value.bit_length()


def predicted_power_bits(base: Any, exponent: Any) -> float:
    """Bits of ``base ** exponent`` for ints, before computing it."""
    if not isinstance(exponent, int) or exponent <= 0:
        return 1
    magnitude = abs(base) if isinstance(base, int) else 2
    if magnitude <= 1:
        return 1
    return exponent * math.log2(magnitude)


def is_plain(value: Any) -> bool:
    """A scalar the reader may compute with (the container case is cached by Budget)."""
    return value is None or isinstance(value, (bool, int, float, str, bytes, complex))
