"""The reader: runs the entry point abstractly and reports the parser it builds."""

from __future__ import annotations

import ast
from pathlib import Path

from .argparse_model import ArgparseModel
from .budget import Budget
from .computation import Computation
from .decorators import Decorators
from .expressions import Expressions
from .modules import Modules
from .source import EntrypointError, LoadedModule, parse_source, read_source
from .statements import Statements
from .styles.dispatch import Styles
from .values import Parser


class EntrypointReader(
    Modules, Statements, Expressions, Computation, ArgparseModel, Styles, Decorators
):
    """One read of one entry point; the mixins hold the parts (see the package docstring)."""

    def __init__(self, repo_root: Path) -> None:
        self.root = repo_root.resolve()
        self.warnings: list[dict] = []
        self._seen_warnings: set[tuple[int, str]] = set()
        self.modules: dict[Path, LoadedModule | None] = {}
        self.parsers: list[Parser] = []
        self.parse_calls: list[Parser] = []
        # (module, call node) of the user functions being followed, outermost first.
        self.call_stack: list[tuple[LoadedModule, ast.AST]] = []
        self.conditional = 0
        self.entry: LoadedModule | None = None
        self.budget = Budget()
        self.invoked: list = []  # click commands and typer apps the script runs
        self.cli_calls: list = []  # fire.Fire, typer.run, jsonargparse.CLI
        self.absl_flags: list = []  # flags.DEFINE_* calls, in order
        self.required_flags: set[str] = set()  # flags.mark_flag_as_required
        self.budget_warned = False
        self.stopped_loops: set[ast.AST] = set()  # loops cut short, warned about once
        self.builder_lines: dict[ast.AST, int | None] = {}  # skipped code that adds arguments

    # -- public -----------------------------------------------------------------------------
    def read(self, entrypoint: Path) -> dict:
        path = entrypoint if entrypoint.is_absolute() else self.root / entrypoint
        relative = self._relative(path)
        if relative is None:
            raise EntrypointError(f"{entrypoint}: is outside the repository root {self.root}")
        text, raw = read_source(path, relative)
        self.budget.charge(len(raw))  # parsing costs time as the file grows
        tree = parse_source(text, relative)
        module = LoadedModule(path.resolve(), relative, "__main__", raw.splitlines(True), tree)
        self.entry = module
        self.modules[module.path] = module
        try:
            self._run_module(module)
            if not self.parsers:
                self._call_parser_factories(module)
        except RecursionError:  # the nesting limit should prevent it; never a crash
            self._warn(module, self._entry_line(), "The code nests too deeply; reading stopped.")
        except MemoryError:
            raise EntrypointError(f"{relative}: too large for the reader's memory") from None
        parser = self._chosen_parser()
        parsed = parser is not None and parser in self.parse_calls
        style = None if parsed else self._style_parameters(module)
        parameters: list[dict] = []
        source = "argparse"
        if style is not None:
            source, parameters = style
        elif parser is not None:
            source = parser.style
            parameters = [arg.as_json() for arg in parser.arguments.values()]
        else:
            parameters = self._legacy_parameters(module)
            if parameters:
                source = "mlreef-decorators"
            else:
                self._warn(
                    module,
                    1,
                    "No command-line parameters found (argparse, click, typer, HfArgumentParser, "
                    "absl flags, fire, jsonargparse or MLReef parameter decorators).",
                )
        return {
            "entrypoint": relative,
            "source": source,
            "parameters": parameters,
            "warnings": sorted(self.warnings, key=lambda w: w["line"]),
        }

    # -- helpers ------------------------------------------------------------------------------
    def _relative(self, path: Path) -> str | None:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            return None
        return resolved.relative_to(self.root).as_posix()

    def _warn(self, module: LoadedModule, line: int, message: str) -> None:
        if module is not self.entry:
            message = f"{module.relative}:{line}: {message}"
            line = self._entry_line()
        key = (line, message)
        if key not in self._seen_warnings:
            self._seen_warnings.add(key)
            self.warnings.append({"line": line, "message": message})

    def _entry_line(self) -> int:
        """Where in the entry point the current call chain started (for warnings elsewhere)."""
        for module, node in self.call_stack:
            if module is self.entry:
                return node.lineno
        return 1


def read_entrypoint(entrypoint: Path | str, repo_root: Path | str) -> dict:
    """Read the parameters of ``entrypoint`` (a path inside ``repo_root``) without running it."""
    root = Path(repo_root)
    if not root.is_dir():
        raise EntrypointError(f"{repo_root}: repository root is not a directory")
    return EntrypointReader(root).read(Path(entrypoint))
