"""Ground truth for the reader's non-argparse styles: run a test script with the real library.

    python tests/cli_truth.py STYLE SCRIPT

Only scripts of tests/cli_corpus are run, in a throw-away subprocess. The library's entry point is
replaced so that the script hands over what it built (a click command, a typer app, an
HfArgumentParser, absl's flags, fire's target, a jsonargparse parser) instead of running, and that
is described in the reader's JSON shape by the rules of issue 14.
"""

from __future__ import annotations

import enum
import inspect
import json
import pathlib
import re
import runpy
import sys
from pathlib import Path

captured: list = []
SCRIPT = Path(".").resolve()  # set by main()


class Captured(Exception):  # noqa: N818 - control flow
    pass


def plain(value):
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, pathlib.PurePath):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


# -- click and typer ---------------------------------------------------------------------------
def click_type(param) -> tuple[str | None, list | None]:
    import click

    kind = param.type
    if isinstance(kind, click.Choice):
        return None, [c.name if isinstance(c, enum.Enum) else c for c in kind.choices]
    names = {
        click.types.IntParamType: "int",
        click.types.IntRange: "int",
        click.types.FloatParamType: "float",
        click.types.FloatRange: "float",
        click.types.StringParamType: "str",
        click.types.BoolParamType: "bool",
        click.Path: "Path",
    }
    for cls, name in names.items():
        if type(kind) is cls:
            return name, None
    if isinstance(kind, click.types.FuncParamType):
        return kind.func.__name__, None
    return type(kind).__name__, None


def click_default(param, enum_as: str = "name"):
    import click

    default = param.default
    if default is None or type(default).__name__ == "Sentinel" or default is click.core.UNSET:
        return None
    if isinstance(default, enum.Enum):
        return default.name if enum_as == "name" else default.value
    return plain(default)


def describe_click(command, enum_as: str = "name") -> list[dict]:
    import click

    parameters = []
    for param in command.params:
        if getattr(param, "hidden", False) or param.name in (None, "help"):
            continue
        type_name, choices = click_type(param)
        nargs = None if param.nargs == 1 else ("*" if param.nargs == -1 else param.nargs)
        if isinstance(param, click.Argument):
            flags, action = [], "store"
            if param.nargs == -1:
                nargs = "+" if param.required else "*"
        else:
            flags = [*param.opts, *param.secondary_opts]
            if param.is_flag and param.secondary_opts:
                action, nargs, type_name = "BooleanOptionalAction", 0, "bool"
            elif param.is_flag:
                action = "store_false" if param.flag_value is False else "store_true"
                nargs, type_name = 0, "bool"
            elif param.count:
                action, nargs, type_name = "count", 0, None
            elif param.multiple:
                action = "append"
            else:
                action = "store"
        if choices is not None and enum_as == "value":
            choices = [c.value if isinstance(c, enum.Enum) else c for c in param.type.choices]
        parameters.append(
            {
                "name": param.name,
                "flags": flags,
                "action": action,
                "type": type_name,
                "nargs": nargs,
                "default": click_default(param, enum_as),
                "required": bool(param.required),
                "choices": choices,
                "help": getattr(param, "help", None) or None,
            }
        )
    return parameters


def capture_click() -> None:
    import click

    def fake_main(self, *args, **kwargs):
        captured.append(self)
        raise Captured

    click.Command.main = fake_main


def describe_captured_click() -> list[dict]:
    return describe_click(captured[-1]) if captured else []


def capture_typer() -> None:
    import typer

    def fake_call(self, *args, **kwargs):
        captured.append(typer.main.get_command(self))
        raise Captured

    def fake_run(function):
        app = typer.Typer()
        app.command()(function)
        fake_call(app)

    typer.Typer.__call__ = fake_call
    typer.run = fake_run


def typer_type(annotation) -> tuple[str | None, list | None]:
    import typing

    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (list, tuple, typing.Union) and arguments:
        return typer_type(arguments[0])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return None, [member.value for member in annotation]
    if annotation is pathlib.Path:
        return "Path", None
    return getattr(annotation, "__name__", str(annotation)), None


def describe_captured_typer() -> list[dict]:
    if not captured:
        return []
    parameters = []
    for param in captured[-1].params:
        if param.name in ("install_completion", "show_completion") or param.hidden:
            continue
        type_name, choices = typer_type(param.type_descriptor.annotation)
        nargs = None if param.nargs == 1 else param.nargs
        if type(param).__name__ == "TyperArgument":
            flags, action = [], "store"
            if param.nargs == -1:  # as for click: argparse's spelling
                nargs = "+" if param.required else "*"
        else:
            flags = [*param.opts, *param.secondary_opts]
            if param.is_flag and param.secondary_opts:
                action, nargs, type_name = "BooleanOptionalAction", 0, "bool"
            elif param.is_flag:
                action, nargs, type_name = "store_true", 0, "bool"
            elif param.count:
                action, nargs, type_name = "count", 0, None
            elif param.multiple:
                action = "append"
            else:
                action = "store"
        default = param.default
        if isinstance(default, enum.Enum):
            default = default.value
        parameters.append(
            {
                "name": param.name,
                "flags": flags,
                "action": action,
                "type": type_name,
                "nargs": nargs,
                "default": None if default is ... else plain(default),
                "required": bool(param.required),
                "choices": choices,
                "help": param.help or None,
            }
        )
    return parameters


def capture_fire() -> None:
    import fire

    def fake_fire(component=None, *args, **kwargs):
        captured.append(component)
        raise Captured

    fire.Fire = fake_fire


def annotation_name(annotation) -> str | None:
    import typing

    if annotation is inspect.Parameter.empty:
        return None
    origin = typing.get_origin(annotation)
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Union and len(arguments) == 1:
        return annotation_name(arguments[0])
    if origin in (list, tuple) or annotation in (list, tuple):
        return "list"
    return getattr(annotation, "__name__", str(annotation))


def describe_captured_fire() -> list[dict]:
    from fire import docstrings, inspectutils

    component = captured[-1] if captured else None
    if component is None:
        return []
    spec = inspectutils.GetFullArgSpec(component)
    doc = inspect.getdoc(component) or ""
    if inspect.isclass(component) and not docstrings.parse(doc).args:
        doc = inspect.getdoc(component.__init__) or ""
    helps = {arg.name: arg.description for arg in (docstrings.parse(doc).args or [])}
    defaults = dict(
        zip(
            spec.args[len(spec.args) - len(spec.defaults or ()) :], spec.defaults or (), strict=True
        )
    )
    defaults.update(spec.kwonlydefaults or {})
    parameters = []
    for name in [*spec.args, *spec.kwonlyargs]:
        parameters.append(
            {
                "name": name,
                "flags": ["--" + name],
                "action": "store",
                "type": annotation_name(spec.annotations.get(name, inspect.Parameter.empty)),
                "nargs": None,
                "default": plain(defaults.get(name)),
                "required": name not in defaults,
                "choices": None,
                "help": " ".join(helps[name].split()) if helps.get(name) else None,
            }
        )
    return parameters


def capture_absl() -> None:
    import types

    from absl import app, flags

    def fake_run(main, argv=None, **kwargs):
        raise Captured

    app.run = fake_run
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        # TensorFlow's tf.flags, tf.app.flags and tf.compat.v1.flags are absl's flags module
        # (and tf.app.run absl's app.run): without TensorFlow installed, the same objects
        # under its names.
        tf = types.ModuleType("tensorflow")
        tf.flags = flags
        tf.app = types.SimpleNamespace(flags=flags, run=fake_run)
        tf.compat = types.SimpleNamespace(v1=types.SimpleNamespace(flags=flags, app=tf.app))
        sys.modules["tensorflow"] = tf


ABSL_TYPES = {"string": "str", "integer": "int", "int": "int", "float": "float", "bool": "bool"}
# absl decorates the help it was given; the reader reports the text as written.
ABSL_HELP_DECORATION = re.compile(
    r"^<[^>]*>: |;\n\s*repeat this option to specify a list of values$"
)


def describe_absl() -> list[dict]:
    from absl import flags

    folder = str(SCRIPT.parent)
    parameters = []
    for module_name, module_flags in flags.FLAGS.flags_by_module_dict().items():
        module = sys.modules.get(module_name)
        # The script's own flags are filed under its path (absl names __main__ by argv[0]).
        path = getattr(module, "__file__", None) if module is not None else module_name
        if not path or not str(path).startswith(folder):
            continue
        for flag in module_flags:
            kind = flag.flag_type()
            multi = isinstance(flag, flags.MultiFlag)
            choices = None
            type_name = ABSL_TYPES.get(kind, "list" if "list" in kind else kind)
            enum_values = getattr(flag.parser, "enum_values", None)
            enum_class = getattr(flag.parser, "enum_class", None)
            if enum_class is not None:
                choices, type_name = [m.name for m in enum_class], None
            elif enum_values is not None:
                choices, type_name = list(enum_values), None
            if multi:
                inner = kind.removeprefix("multi ")
                type_name = ABSL_TYPES.get(inner, inner) if choices is None else None
            boolean = kind == "bool"
            required = any(
                "must have a value other than None" in getattr(v, "message", "")
                for v in flag.validators
            )
            parameters.append(
                {
                    "name": flag.name,
                    "flags": ["--" + flag.name, "--no" + flag.name]
                    if boolean
                    else ["--" + flag.name],
                    "action": "BooleanOptionalAction"
                    if boolean
                    else ("append" if multi else "store"),
                    "type": type_name,
                    "nargs": 0 if boolean else None,
                    "default": plain(flag.default),
                    "required": required,
                    "choices": choices,
                    "help": ABSL_HELP_DECORATION.sub("", flag.help or "") or None,
                }
            )
    return parameters


def capture_hf() -> None:
    from transformers import HfArgumentParser

    def fake_parse(self, *args, **kwargs):
        captured.append(self)
        raise Captured

    HfArgumentParser.parse_args_into_dataclasses = fake_parse


def describe_hf() -> list[dict]:
    import argparse
    import dataclasses

    sys.path.insert(0, str(Path(__file__).parent))
    from argparse_truth import describe

    if not captured:
        return []
    parser = captured[-1]
    library_fields = set()
    for kind in parser.dataclass_types:
        ours = set()
        for cls in kind.__mro__:
            module = sys.modules.get(cls.__module__)
            source = getattr(module, "__file__", None)
            if cls.__module__ == "__main__" or (
                source and str(Path(source).resolve()).startswith(str(SCRIPT.parent))
            ):
                ours.update(cls.__dict__.get("__annotations__", {}))
        library_fields.update(f.name for f in dataclasses.fields(kind) if f.name not in ours)
    parameters = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.dest in library_fields:
            continue
        described = describe(action)
        if getattr(action.type, "__name__", "") == "string_to_bool":
            described["type"] = "bool"
        if action.choices is not None:
            described["type"] = None
        default = action.default
        described["default"] = plain(default.value if isinstance(default, enum.Enum) else default)
        parameters.append(described)
    return parameters


def capture_jsonargparse() -> None:
    import jsonargparse

    def fake_parse(self, *args, **kwargs):
        captured.append(self)
        raise Captured

    jsonargparse.ArgumentParser.parse_args = fake_parse


def typehint_type(hint) -> tuple[str | None, list | None]:
    import typing

    origin = typing.get_origin(hint)
    arguments = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin is typing.Union and len(arguments) == 1:
        return typehint_type(arguments[0])
    if origin is typing.Literal:
        return None, list(typing.get_args(hint))
    if origin in (list, tuple) or hint in (list, tuple):
        return "list", None
    return getattr(hint, "__name__", str(hint)), None


def describe_jsonargparse() -> list[dict]:
    import argparse

    sys.path.insert(0, str(Path(__file__).parent))
    from argparse_truth import describe

    if not captured:
        return []
    parameters = []
    for action in captured[-1]._actions:
        kind = type(action).__name__
        if kind in (
            "_HelpAction",
            "ActionConfigFile",
            "_ActionPrintConfig",
            "_ActionConfigLoad",
            "ActionSubCommands",  # CLI(Class)'s methods: sub-commands, not parameters
        ):
            continue
        if kind == "ActionTypeHint":  # a typed value, stored: argparse's store with a type
            type_name, choices = typehint_type(action._typehint)
            described = {
                "name": action.dest,
                "flags": list(action.option_strings),
                "action": "store",
                "type": type_name,
                "nargs": action.nargs,
                "default": plain(action.default),
                "required": action.required,
                "choices": choices,
                "help": action.help,
            }
        else:
            described = describe(action)
        if described["default"] == argparse.SUPPRESS:
            described["default"] = None
        parameters.append(described)
    return parameters


STYLES = {
    "jsonargparse": (capture_jsonargparse, describe_jsonargparse),
    "hf": (capture_hf, describe_hf),
    "absl": (capture_absl, describe_absl),
    "fire": (capture_fire, describe_captured_fire),
    "click": (capture_click, describe_captured_click),
    "typer": (capture_typer, describe_captured_typer),
}


def main() -> None:
    global SCRIPT
    style, script = sys.argv[1], Path(sys.argv[2]).resolve()
    SCRIPT = script
    capture, describe = STYLES[style]
    capture()
    sys.argv = [str(script)]
    sys.path.insert(0, str(script.parent))
    try:
        runpy.run_path(str(script), run_name="__main__")
    except (Captured, SystemExit):
        pass
    print(json.dumps({"parameters": describe()}))


if __name__ == "__main__":
    main()
