"""The command-line libraries (and the few standard modules they lean on) the reader knows by name.

Their names become ``Library`` values instead of unknowns, so that ``click.option(...)``,
``flags.DEFINE_string(...)`` or ``field(default=...)`` reach the style readers with their
arguments evaluated. Nothing here is imported: the names are only compared.
"""

from __future__ import annotations

LIBRARIES = {
    "click",
    "click_option_group",
    "typer",
    "fire",
    "absl",
    "tensorflow",
    "transformers",
    "jsonargparse",
    "dataclasses",
    "typing",
    "typing_extensions",
    "enum",
    "pathlib",
}
# Other spellings of the same thing, by prefix (TensorFlow's flags are absl's).
ALIASES = {
    "typing_extensions": "typing",
    "tensorflow.compat.v1.app.flags": "absl.flags",
    "tensorflow.compat.v1.flags": "absl.flags",
    "tensorflow.app.flags": "absl.flags",
    "tensorflow.flags": "absl.flags",
    "absl.flags._defines": "absl.flags",
    "click.decorators": "click",
    "click.types": "click",
    "click_option_group.optgroup.option": "click.option",  # of the same shape
    "transformers.hf_argparser": "transformers",
    "jsonargparse.cli": "jsonargparse",
}


def is_library(dotted: str) -> bool:
    return dotted.split(".")[0] in LIBRARIES


def canonical(dotted: str) -> str:
    for prefix, replacement in ALIASES.items():
        if dotted == prefix or dotted.startswith(prefix + "."):
            return replacement + dotted[len(prefix) :]
    return dotted
