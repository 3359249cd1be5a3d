"""Mixin of EntrypointReader: library calls and decorators while the script runs abstractly,
then the choice of style and its parameters once it has run."""

from __future__ import annotations

import ast
from typing import Any

from ..values import Command, Frame, FunctionRef, Library, LibraryCall, Parser, Unknown
from . import absl, fire, hf, jsonargparse, typer
from .click import click_parameter

CLI_CALLS = {"fire.Fire", "typer.run", "jsonargparse.CLI", "jsonargparse.auto_cli"}
COMMAND_MAKERS = {
    "click.command",
    "click.group",
    "click.command().command",
    "click.command().group",
}


class Styles:
    # -- while running ----------------------------------------------------------------------
    def _library_call(self, function: Library, args: list, kwargs: dict, node, frame: Frame):
        call = LibraryCall(function.name, args, kwargs, node, frame.module, owner=function.owner)
        name = function.name
        if name in CLI_CALLS:
            self.cli_calls.append(call)
        elif name.startswith("absl.flags.DEFINE_"):
            self.absl_flags.append(call)
        elif name in ("absl.flags.mark_flag_as_required", "absl.flags.mark_flags_as_required"):
            for value in args[:1]:
                names = value if isinstance(value, (list, tuple)) else [value]
                self.required_flags.update(n for n in names if isinstance(n, str))
        elif name == "transformers.HfArgumentParser":
            return hf.new_parser(self, call, frame)
        elif name == "jsonargparse.ArgumentParser":
            parser = self._new_parser(node, args, kwargs, frame)
            parser.style = "jsonargparse"
            return parser
        return call

    def _decorate(self, decorator: Any, target: Any, node: ast.AST, frame: Frame) -> Any:
        """Apply a click/typer decorator; None when it is not one the reader follows."""
        if not isinstance(target, (FunctionRef, Command)):
            return None
        name = getattr(decorator, "name", None)
        base = target if isinstance(target, Command) else Command(target, [])
        if name in ("click.option", "click.argument") and isinstance(decorator, LibraryCall):
            return Command(base.function, [decorator, *base.params], base.kind, base.subcommands)
        if name in COMMAND_MAKERS:
            command = Command(base.function, base.params, decorator)
            owner = getattr(decorator, "owner", None)
            if isinstance(owner, Command):
                owner.subcommands.append(command)
            return command
        owner = getattr(decorator, "owner", None)
        if isinstance(owner, LibraryCall) and owner.name == "typer.Typer":
            if name == "typer.Typer().command":
                owner.commands.append(base.function)
                return target
            if name == "typer.Typer().callback":
                owner.callback = base.function
                return target
        return None

    # -- after running ----------------------------------------------------------------------
    def _style_parameters(self, module) -> tuple[str, list[dict]] | None:
        """The parameters of a non-argparse style the entry point runs, if any."""
        commands = [c for c in self.invoked if isinstance(c, Command)]
        apps = [a for a in self.invoked if isinstance(a, LibraryCall)]
        for call in reversed(self.cli_calls):
            if call.name == "fire.Fire":
                return "fire", fire.parameters(self, call)
            if call.name == "typer.run":
                return "typer", typer.run_parameters(self, call)
            return "jsonargparse", jsonargparse.cli_parameters(self, call)
        if apps:
            return "typer", typer.app_parameters(self, apps[-1])
        if not commands:
            commands = [v for v in module.globals.values() if isinstance(v, Command) and v.kind]
        if commands:
            return "click", self._click_parameters(commands[-1])
        if self.absl_flags:
            return "absl", absl.parameters(self)
        return None

    def _click_parameters(self, command: Command) -> list[dict]:
        kind = getattr(command.kind, "name", "")
        if command.subcommands or kind.endswith("group"):
            self._warn(
                command.function.module,
                command.function.node.lineno,
                "Sub-commands (a click group) are not supported for publishing; only the "
                "group's own options are read.",
            )
        found = [click_parameter(self, call) for call in command.params]
        return [p for p in found if p is not None]

    def _style_parser_name(self, parser: Parser) -> str:
        return parser.style

    def _unknown(self, node: ast.AST, frame: Frame) -> Unknown:
        return Unknown(frame.module.segment(node))
