"""Hostile scripts for the parameter reader, generated from a seed (tests and bench/fuzz_reader.py).

Each script mixes a few hazards (deep nesting, huge literals, big loops, recursion, format
widths, odd encodings) around a small argparse parser; some also bring a local module that
imports itself. The reader must read each within its budget or refuse it with a clear error.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

HEAD = "import argparse\nparser = argparse.ArgumentParser()\n"
TAIL = (
    'parser.add_argument("--input-path", required=True)\n'
    'parser.add_argument("--output-path", required=True)\n'
    "parser.parse_args()\n"
)


def _nesting(r: random.Random) -> str:
    depth = r.choice([30, 90, 150, 250, 1000])
    kind = r.randrange(6)
    if kind == 0:
        return "x = " + "(" * depth + "1" + ")" * depth + "\n"
    if kind == 1:
        return "x = " + "[" * depth + "]" * depth + "\n"
    if kind == 2:
        return "x = " + "+".join(["1"] * (depth * 10)) + "\n"
    if kind == 3:
        lines = []
        for level in range(min(depth, 98)):
            lines.append(" " * level + "if True:\n")
        lines.append(" " * min(depth, 98) + 'parser.add_argument("--deep")\n')
        return "".join(lines)
    if kind == 4:
        return "x = " + "-" * depth + "1\n" + "y = " + "not " * depth + "True\n"
    return "x = parser" + ".a" * depth + "\n" + "y = f" + "()" * depth + "\n"


def _literal(r: random.Random) -> str:
    size = r.choice([99_999, 100_000, 10**6, 10**9, 10**100])
    kind = r.randrange(9)
    if kind == 0:
        return f'parser.add_argument("--s", default="x" * {size} * {size})\n'
    if kind == 1:
        return f'parser.add_argument("--l", default=[[0] * {size}] * {size})\n'
    if kind == 2:
        return f"BIG = 10 ** {size}\nparser.add_argument('--b', default=BIG)\n"
    if kind == 3:
        return "x = [" + ",".join(["1"] * r.choice([1000, 50_000, 200_000])) + "]\n"
    if kind == 4:
        return "N = " + "9" * r.choice([100, 5000, 20_000]) + "\nM = N * N * N\n"
    if kind == 5:
        return f'parser.add_argument("--f", default=f"{{1:>{size}}}")\n'
    if kind == 6:
        return f'parser.add_argument("--p", default="%*d" % ({size}, 1))\n'
    if kind == 7:
        return f'parser.add_argument("--j", default="ab".join(["x" * 9999] * {size % 1000}))\n'
    return f'parser.add_argument("--r", default="x".replace("", "y" * {size % 100_000}))\n'


def _loop(r: random.Random) -> str:
    sizes = [r.choice([10, 1500, 10_000, 99_999, 10**9]) for _ in range(3)]
    kind = r.randrange(5)
    if kind == 0:
        return (
            f"for i in range({sizes[0]}):\n    for j in range({sizes[1]}):\n"
            f"        for k in range({sizes[2]}):\n"
            '            parser.add_argument(f"--a{i}-{j}-{k}")\n'
        )
    if kind == 1:
        return "while True:\n    parser.add_argument('--w')\n"
    if kind == 2:
        return (
            f"T = {{str(i): (int, i) for i in range({sizes[0]})}}\n"
            "for name, (kind, default) in T.items():\n"
            '    parser.add_argument(f"--{name}", type=kind, default=default)\n'
        )
    if kind == 3:
        return f"x = [[i * j for i in range({sizes[0]})] for j in range({sizes[1]})]\n"
    return f"x = sorted(range({sizes[0]}))\ny = [x] * {sizes[1]}\nz = str(y)\n"


def _recursion(r: random.Random) -> str:
    kind = r.randrange(4)
    if kind == 0:
        return "def f(p):\n    f(p)\n    p.add_argument('--r')\nf(parser)\n"
    if kind == 1:
        width = r.choice([2, 3, 10])
        calls = "".join("    g{n}(p)\n" for _ in range(width))
        return (
            "".join(f"def g{n}(p):\n" + calls.format(n=n + 1) for n in range(40))
            + "def g40(p):\n    p.add_argument('--leaf')\ng0(parser)\n"
        )
    if kind == 2:
        return (
            "class A:\n    def __init__(self):\n        self.b = B()\n"
            "class B:\n    def __init__(self):\n        self.a = A()\nA()\n"
        )
    return "import helper\nhelper.build(parser)\n"


def _format(r: random.Random) -> str:
    width = r.choice([10, 99_999, 100_000, 10**9])
    return (
        f'a = "{{:{{}}}}".format(1, {width})\n'
        f'b = "{{0}}" * 1000\nc = b.format("x" * {width % 100_000})\n'
        f'd = "%s" * 1000 % tuple(["y" * {width % 100_000}] * 1000)\n'
    )


HAZARDS: list[Callable[[random.Random], str]] = [_nesting, _literal, _loop, _recursion, _format]


def _encode(r: random.Random, text: str) -> bytes:
    kind = r.randrange(10)
    if kind == 0:
        return b"# -*- coding: latin-1 -*-\n" + text.encode("utf-8") + b"# \xe9\xff\n"
    if kind == 1:
        return b"# coding: utf-16\n" + text.encode("utf-16")
    if kind == 2:
        return b"\xef\xbb\xbf" + text.encode()
    if kind == 3:
        return text.encode().replace(b"\n", b"\r")
    if kind == 4:
        return b"# coding: no-such-codec\n" + text.encode()
    if kind == 5:
        return text.encode() + b"\xff\xfe\x80"
    if kind == 6:
        return text.encode().replace(b"\n", b"\r\n") + b"\x0c\n"
    return text.encode()


def generate(seed: int) -> dict[str, bytes]:
    """A hostile entry point ``train.py`` (and sometimes a local ``helper.py``)."""
    r = random.Random(seed)
    body = "".join(r.choice(HAZARDS)(r) for _ in range(r.randint(1, 4)))
    files = {"train.py": _encode(r, HEAD + body + TAIL)}
    if "import helper" in body:
        files["helper.py"] = (
            b"import helper\nfrom helper import *\nimport train\n"
            b"def build(p):\n    build(p)\n    p.add_argument('--helped')\n"
        )
    return files


def write(folder: Path, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in generate(seed).items():
        (folder / name).write_bytes(content)
    return folder / "train.py"
