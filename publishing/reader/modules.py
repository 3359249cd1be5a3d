"""Following the script's imports: argparse itself and local modules of the repository."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from .libraries import canonical, is_library
from .source import EntrypointError, LoadedModule, parse_source, read_source
from .values import (
    ARGPARSE,
    ARGPARSE_CONSTANTS,
    ArgparseName,
    Frame,
    Library,
    ModuleRef,
    Unknown,
)


class Modules:
    """Mixin of EntrypointReader: load and run local modules, bind imported names."""

    def _run_module(self, module: LoadedModule) -> None:
        frame = Frame(module, module.globals)
        module.globals.setdefault("__name__", module.name)
        self._exec_block(module.tree.body, frame)

    def _load_local(self, importer: LoadedModule, dotted: str, level: int, line: int):
        """Load a local module by import name; None when it is not part of the repository."""
        if level:
            base = importer.path.parent
            for _ in range(level - 1):
                base = base.parent
            search = [base]
        else:
            # Running `python train.py` puts the script's folder first on sys.path.
            search = [importer.path.parent, self.root]
        parts = dotted.split(".") if dotted else []
        for folder in search:
            target = folder.joinpath(*parts) if parts else folder
            for candidate in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
                if candidate is None or not candidate.is_file():
                    continue
                if not candidate.resolve().is_relative_to(self.root):
                    self._warn(
                        importer,
                        line,
                        f"Import of '{'.' * level}{dotted}' resolves "
                        "outside the repository root; not followed.",
                    )
                    return None
                return self._module_for(candidate, dotted or importer.name)
        if level:
            if not base.resolve().is_relative_to(self.root):
                self._warn(
                    importer,
                    line,
                    f"Import of '{'.' * level}{dotted}' goes outside the "
                    "repository root; not followed.",
                )
            else:
                self._warn(importer, line, f"Local import '{'.' * level}{dotted}' not found.")
        return None

    def _module_for(self, path: Path, name: str) -> LoadedModule | None:
        resolved = path.resolve()
        if resolved in self.modules:
            loaded = self.modules[resolved]
            if loaded is not None and not loaded.globals.get("__loaded__"):
                # Imported again while still loading: a circular import. Python hands out the
                # half-built module; so do we, with what it has defined so far.
                self._warn(
                    self.entry,
                    self._entry_line(),
                    f"Circular import involving {loaded.relative}; names defined after "
                    "the import are not seen.",
                )
            return loaded
        relative = resolved.relative_to(self.root).as_posix()
        try:
            text, raw = read_source(resolved, relative)
            if not self.budget.charge(len(raw)):  # parsing costs time as the file grows
                raise EntrypointError(f"{relative}: the reader's budget is used up")
            tree = parse_source(text, relative)
        except EntrypointError as error:
            self._warn(self.entry, self._entry_line(), f"Imported module skipped: {error}")
            self.modules[resolved] = None
            return None
        module = LoadedModule(resolved, relative, name, raw.splitlines(True), tree)
        self.modules[resolved] = module
        self._run_module(module)
        module.globals["__loaded__"] = True
        return module

    def _exec_import(self, alias: ast.alias, frame: Frame, line: int) -> None:
        if alias.name == "argparse" or alias.name.startswith("argparse."):
            frame.locals[alias.asname or "argparse"] = ARGPARSE
            return
        loaded = self._load_local(frame.module, alias.name, 0, line)
        bound = alias.asname or alias.name.split(".")[0]
        if loaded is None and is_library(alias.name):
            frame.locals[bound] = Library(canonical(alias.name if alias.asname else bound))
        elif loaded is None:
            frame.locals[bound] = Unknown(alias.name)
        elif alias.asname or "." not in alias.name:
            frame.locals[bound] = ModuleRef(loaded)
        else:
            top = self._load_local(frame.module, alias.name.split(".")[0], 0, line)
            frame.locals[bound] = ModuleRef(top) if top else Unknown(bound)

    def _exec_import_from(self, node: ast.ImportFrom, frame: Frame) -> None:
        if node.module == "argparse" and not node.level:
            for alias in node.names:
                if alias.name == "*":
                    for name in (
                        "ArgumentParser",
                        "BooleanOptionalAction",
                        "FileType",
                        *ARGPARSE_CONSTANTS,
                    ):
                        frame.locals[name] = self._argparse_member(name)
                else:
                    frame.locals[alias.asname or alias.name] = self._argparse_member(alias.name)
            return
        source = self._load_local(frame.module, node.module or "", node.level, node.lineno)
        library = node.module if source is None and not node.level else None
        for alias in node.names:
            bound = alias.asname or alias.name
            if source is None:
                if library and is_library(library) and alias.name != "*":
                    frame.locals[bound] = Library(canonical(f"{library}.{alias.name}"))
                elif alias.name != "*":
                    frame.locals[bound] = Unknown(alias.name)
                continue
            if alias.name == "*":
                frame.locals.update(
                    {k: v for k, v in source.globals.items() if not k.startswith("_")}
                )
            elif alias.name in source.globals:
                frame.locals[bound] = source.globals[alias.name]
            else:
                sub = self._load_local(
                    frame.module,
                    f"{node.module}.{alias.name}" if node.module else alias.name,
                    node.level,
                    node.lineno,
                )
                frame.locals[bound] = ModuleRef(sub) if sub else Unknown(alias.name)

    def _argparse_member(self, name: str) -> Any:
        if name in ARGPARSE_CONSTANTS:
            return ARGPARSE_CONSTANTS[name]
        return ArgparseName(name)
