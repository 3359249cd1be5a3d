"""The publishing convention: the platform passes data folders with --input-path/--output-path."""

from __future__ import annotations

CONVENTION_FLAGS = ("--input-path", "--output-path")


def convention_problem(result: dict) -> str | None:
    """Why publishing must refuse this entry point, with the fix; None when it conforms."""
    declared = {flag for parameter in result["parameters"] for flag in parameter["flags"]}
    missing = [flag for flag in CONVENTION_FLAGS if flag not in declared]
    if not missing:
        return None
    lines = "\n".join(
        f'    parser.add_argument("{flag}", required=True, help="Folder '
        f'{"with the input data" if flag == "--input-path" else "for the results"}")'
        for flag in missing
    )
    return (
        f"{result['entrypoint']} does not declare {' and '.join(missing)}. The platform passes "
        "the input and output folders with these flags; add them to the argparse parser:\n" + lines
    )
