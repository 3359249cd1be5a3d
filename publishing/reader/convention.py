"""The publishing convention: the platform passes data folders with --input-path/--output-path.

Scripts may spell them with underscores where their library accepts those (absl flags, fire and
HfArgumentParser spell options as the Python name is written); the run commands use the spelling
the script declares.
"""

from __future__ import annotations

SPELLINGS = {
    "--input-path": ("--input-path", "--input_path"),
    "--output-path": ("--output-path", "--output_path"),
}
CONVENTION_FLAGS = tuple(flag for spellings in SPELLINGS.values() for flag in spellings)
PURPOSE = {"--input-path": "with the input data", "--output-path": "for the results"}


def convention_problem(result: dict) -> str | None:
    """Why publishing must refuse this entry point, with the fix; None when it conforms."""
    declared = {flag for parameter in result["parameters"] for flag in parameter["flags"]}
    missing = [flag for flag, spellings in SPELLINGS.items() if not declared & set(spellings)]
    if not missing:
        return None
    source = result.get("source", "argparse")
    lines = "\n".join("    " + _example(source, flag) for flag in missing)
    where = {
        "argparse": "add them to the argparse parser",
        "mlreef-decorators": "add them to the argparse parser",
        "HfArgumentParser": "add them to a dataclass of the parser (or with add_argument)",
        "jsonargparse": "add them as options (an argument with a default is an option)",
    }.get(source, f"declare them with {source}")
    return (
        f"{result['entrypoint']} does not declare {' and '.join(missing)}. The platform passes "
        f"the input and output folders with these flags; {where}:\n" + lines
    )


def _example(source: str, flag: str) -> str:
    name = flag[2:].replace("-", "_")
    text = f"Folder {PURPOSE[flag]}"
    return {
        "click": f'@click.option("{flag}", required=True, help="{text}")',
        "typer": f'{name}: str = typer.Option(..., help="{text}")',
        "HfArgumentParser": f'{name}: str = field(metadata={{"help": "{text}"}})',
        "absl": f'flags.DEFINE_string("{name}", None, "{text}"); '
        f'flags.mark_flag_as_required("{name}")',
        "fire": f"a function argument {name} (fire passes it as --{name})",
        "jsonargparse": f'{name}: str = ""  (with "{text}" in the docstring)',
    }.get(source, f'parser.add_argument("{flag}", required=True, help="{text}")')
