"""Reading a Python file for the reader: size, encoding and syntax checks; exact source text."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 5 * 1024 * 1024


class EntrypointError(Exception):
    """The entry point cannot be read at all (missing, not text, syntax error)."""


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


def read_source(path: Path, shown_name: str) -> tuple[str, bytes]:
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


def parse_source(text: str, shown_name: str) -> ast.Module:
    try:
        return ast.parse(text, filename=shown_name)
    except SyntaxError as error:
        raise EntrypointError(f"{shown_name}:{error.lineno}: syntax error: {error.msg}") from None
    except (ValueError, RecursionError) as error:
        raise EntrypointError(f"{shown_name}: cannot be parsed ({error})") from None
