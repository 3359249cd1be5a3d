"""Git LFS pointer files and the ``.gitattributes`` patterns that decide what goes to LFS.

A pointer is the small text file git stores in place of a large one (spec v1):

    version https://git-lfs.github.com/spec/v1
    oid sha256:<64 hex>
    size <bytes>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pathspec

SPEC_URL = "https://git-lfs.github.com/spec/v1"
# Real pointers are ~130 bytes; anything much larger is a regular file.
MAX_POINTER_SIZE = 1024
_POINTER = re.compile(
    rb"^version https://git-lfs\.github\.com/spec/v1\n"
    rb"(?:[a-z0-9.-]+ [^\n]*\n)*?"
    rb"oid sha256:(?P<oid>[0-9a-f]{64})\n"
    rb"size (?P<size>[0-9]+)\n"
    rb"(?:[a-z0-9.-]+ [^\n]*\n)*\Z"
)
_OID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Pointer:
    oid: str
    size: int

    def encode(self) -> bytes:
        return f"version {SPEC_URL}\noid sha256:{self.oid}\nsize {self.size}\n".encode()


def valid_oid(oid: object) -> bool:
    return isinstance(oid, str) and bool(_OID.match(oid))


def parse_pointer(data: bytes) -> Pointer | None:
    """The pointer ``data`` spells, or None when it is an ordinary file."""
    if len(data) > MAX_POINTER_SIZE or not data.startswith(b"version "):
        return None
    match = _POINTER.match(data)
    if match is None:
        return None
    return Pointer(match["oid"].decode(), int(match["size"]))


def lfs_patterns(gitattributes: str) -> list[str]:
    """Patterns whose attributes say ``filter=lfs`` (what ``git lfs track`` writes)."""
    patterns = []
    for line in gitattributes.splitlines():
        fields = line.strip().split()
        if len(fields) < 2 or fields[0].startswith("#"):
            continue
        if "filter=lfs" in fields[1:]:
            patterns.append(fields[0])
    return patterns


class LfsPatterns:
    """Match repository paths against ``.gitattributes`` LFS patterns (gitignore rules)."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = patterns
        self._spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    @classmethod
    def from_gitattributes(cls, text: str) -> LfsPatterns:
        return cls(lfs_patterns(text))

    def matches(self, path: str) -> bool:
        return bool(self.patterns) and self._spec.match_file(path)
