"""Ground truth for the reader's tests: run a test script and report what argparse built.

Only test scripts from tests/argparse_corpus are run, in a throw-away subprocess. parse_args and
friends are replaced so the script goes on with argparse's defaults, and the last parser that was
asked to parse is described in the reader's JSON shape.
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
from pathlib import Path

ACTION_NAMES = {
    argparse._StoreAction: "store",
    argparse._StoreTrueAction: "store_true",
    argparse._StoreFalseAction: "store_false",
    argparse._StoreConstAction: "store_const",
    argparse._AppendAction: "append",
    argparse._AppendConstAction: "append_const",
    argparse._CountAction: "count",
    argparse._ExtendAction: "extend",
    argparse.BooleanOptionalAction: "BooleanOptionalAction",
}
captured: list[argparse.ArgumentParser] = []


def fake_parse_known_args(self, args=None, namespace=None):
    captured.append(self)
    namespace = namespace or argparse.Namespace()
    for action in self._actions:
        if action.dest is not argparse.SUPPRESS and not hasattr(namespace, action.dest):
            setattr(namespace, action.dest, action.default)
    for dest, value in self._defaults.items():
        if not hasattr(namespace, dest):
            setattr(namespace, dest, value)
    return namespace, []


def fake_parse_args(self, args=None, namespace=None):
    return fake_parse_known_args(self, args, namespace)[0]


def plain(value):
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, range):
        return list(value)
    return value


def choices_of(action: argparse.Action):
    """What the command line accepts: a dict's keys, anything else as given."""
    return list(action.choices) if isinstance(action.choices, dict) else action.choices


def describe(action: argparse.Action) -> dict | None:
    if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
        return None
    name = ACTION_NAMES.get(type(action), "other")
    if name in ("store_true", "store_false", "BooleanOptionalAction"):
        type_name = "bool"
    elif action.type is None:
        type_name = None
    elif action.type in (int, float, str, bool):
        type_name = action.type.__name__
    else:
        type_name = getattr(action.type, "__name__", type(action.type).__name__)
    return {
        "name": action.dest,
        "flags": list(action.option_strings),
        "action": name,
        "type": type_name,
        "nargs": action.nargs,
        "default": plain(action.default),
        "required": action.required,
        "choices": None if action.choices is None else plain(choices_of(action)),
        "help": action.help,
    }


def main() -> None:
    script = Path(sys.argv[1]).resolve()
    argparse.ArgumentParser.parse_known_args = fake_parse_known_args
    argparse.ArgumentParser.parse_args = fake_parse_args
    argparse.ArgumentParser.parse_intermixed_args = fake_parse_args
    argparse.ArgumentParser.parse_known_intermixed_args = fake_parse_known_args
    sys.argv = [str(script)]
    sys.path.insert(0, str(script.parent))
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit:
        pass
    parser = captured[-1] if captured else None
    parameters = (
        []
        if parser is None
        else [d for d in (describe(a) for a in parser._actions) if d is not None]
    )
    print(json.dumps({"parameters": parameters}))


if __name__ == "__main__":
    main()
