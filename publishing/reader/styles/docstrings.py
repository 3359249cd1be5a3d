"""Parameter descriptions from a docstring, in Google, NumPy or reST style (fire, jsonargparse)."""

from __future__ import annotations

import re

GOOGLE_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params)\s*:\s*$")
NUMPY_SECTION = re.compile(r"^\s*(Parameters|Params|Arguments)\s*\n\s*-{3,}\s*$", re.M)
REST_PARAM = re.compile(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")


def parameter_help(docstring: str | None) -> dict[str, str]:
    """{name: description}; empty when the docstring describes no parameters."""
    if not docstring:
        return {}
    lines = docstring.expandtabs().splitlines()
    found = _rest(lines) or _google(lines) or _numpy(docstring)
    return {name: " ".join(text.split()) for name, text in found.items() if text.strip()}


def _rest(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    current = None
    for line in lines:
        match = REST_PARAM.match(line)
        if match:
            current = match[1]
            found[current] = match[2]
        elif current and line.strip() and not line.strip().startswith(":"):
            found[current] += " " + line.strip()
        else:
            current = None
    return found


def _google(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    inside, indent, current = False, None, None
    for line in lines:
        if GOOGLE_SECTION.match(line):
            inside, indent, current = True, None, None
            continue
        if not inside:
            continue
        if not line.strip():
            current = None if indent is None else current
            continue
        width = len(line) - len(line.lstrip())
        if indent is None:
            indent = width
        if width < indent or (width == indent and line.strip().endswith(":")):
            break
        match = re.match(r"^\s*\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", line)
        if width == indent and match:
            current = match[1]
            found[current] = match[2]
        elif current:
            found[current] += " " + line.strip()
    return found


def _numpy(docstring: str) -> dict[str, str]:
    match = NUMPY_SECTION.search(docstring)
    if not match:
        return {}
    found: dict[str, str] = {}
    current, indent = None, None
    for line in docstring[match.end() :].expandtabs().splitlines()[1:]:
        if not line.strip():
            continue
        width = len(line) - len(line.lstrip())
        if indent is None:
            indent = width
        if width == indent:
            if re.match(r"^\s*-{3,}\s*$", line) or not re.match(r"^\s*\w+\s*(:.*)?$", line):
                break
            current = line.split(":")[0].strip()
            found[current] = ""
        elif width > indent and current:
            found[current] += " " + line.strip()
        else:
            break
    # a following section header ("Returns" + dashes) ends the list
    return {k: v for k, v in found.items() if k not in ("Returns", "Raises", "Yields")}
