"""Reading a Python file for the reader: size, encoding and syntax checks; exact source text."""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 512 * 1024  # parsing takes ~0.3 s per MiB; training scripts are far smaller


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
    """The text of a source file and the same text as UTF-8 bytes (for exact segments)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EntrypointError(f"{shown_name}: no such file") from None
    except IsADirectoryError:
        raise EntrypointError(f"{shown_name}: is a directory, not a Python file") from None
    except OSError as error:
        raise EntrypointError(f"{shown_name}: cannot be read ({error.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise EntrypointError(
            f"{shown_name}: larger than {MAX_FILE_BYTES // 1024} KiB, too large to read as a script"
        )
    if b"\x00" in raw:
        raise EntrypointError(f"{shown_name}: is a binary file, not Python source")
    # Python honours a BOM and a `# -*- coding: ... -*-` line; so does the reader. The text is
    # handed back as UTF-8 too, because ast's column offsets count UTF-8 bytes.
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:  # an unknown codec, or bytes that are not UTF-8
        reason = error.msg if "unknown encoding" in error.msg else "is not UTF-8 text"
        raise EntrypointError(f"{shown_name}: {reason}") from None
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        shown = "UTF-8" if encoding.startswith("utf-8") else encoding
        raise EntrypointError(f"{shown_name}: is not {shown} text") from None
    text = text.removeprefix("\ufeff")
    return text, text.encode("utf-8", errors="surrogatepass")


def parse_source(text: str, shown_name: str) -> ast.Module:
    try:
        return ast.parse(text, filename=shown_name)
    except SyntaxError as error:
        raise EntrypointError(f"{shown_name}:{error.lineno}: syntax error: {error.msg}") from None
    except (ValueError, RecursionError) as error:
        raise EntrypointError(f"{shown_name}: cannot be parsed ({error})") from None


def statements_of(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included, without walking into expressions (a walk over
    every node of a large file costs as much as parsing it)."""
    pending = list(reversed(body))
    while pending:
        statement = pending.pop()
        yield statement
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(statement, name, None)
            if isinstance(inner, list):
                pending.extend(reversed([s for s in inner if isinstance(s, ast.AST)]))
