"""``manage.py parse_entrypoint FILE --repo-root DIR --format json``: the parameter reader's CLI.

Publishing, the tests and outside tools call this; it never runs the script it reads.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from publishing.reader import EntrypointError, convention_problem, read_entrypoint


class Command(BaseCommand):
    help = (
        "Print an entry point's parameters (argparse, click, typer, HfArgumentParser, absl, "
        "fire, jsonargparse), read statically (the file is not run)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The entry point, relative to --repo-root or absolute")
        parser.add_argument("--repo-root", default=".", help="Root of the repository")
        parser.add_argument("--format", choices=["json", "text"], default="json")
        parser.add_argument(
            "--check-convention",
            action="store_true",
            help="Fail unless the script declares --input-path and --output-path "
            "(or their underscore spellings where its library uses them)",
        )

    def handle(
        self, *args, file: str, repo_root: str, format: str, check_convention: bool, **options
    ) -> None:
        root = Path(repo_root).resolve()
        path = Path(file)
        if not path.is_absolute():
            # A path that exists from here is taken as given; otherwise it is relative to the root.
            path = path.resolve() if path.exists() else root / path
        try:
            result = read_entrypoint(path, root)
        except EntrypointError as error:
            raise CommandError(str(error)) from None
        if format == "json":
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(_as_text(result))
        if check_convention and (problem := convention_problem(result)):
            raise CommandError(problem.replace("\n", " ").replace("    ", ""))


def _as_text(result: dict) -> str:
    lines = [f"{result['entrypoint']} ({result['source']})"]
    for parameter in result["parameters"]:
        flags = ", ".join(parameter["flags"]) or parameter["name"]
        lines.append(
            f"  {flags:30} {parameter['type'] or 'str':8} default={parameter['default']!r}"
            f"{' required' if parameter['required'] else ''}  {parameter['help'] or ''}"
        )
    lines += [f"  warning line {w['line']}: {w['message']}" for w in result["warnings"]]
    return "\n".join(lines)
