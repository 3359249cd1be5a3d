"""MLReef's legacy ``@parameter(...)`` decorators."""

from __future__ import annotations

import ast
from typing import Any

from .source import LoadedModule, statements_of
from .values import Frame


class Decorators:
    """Mixin of EntrypointReader: parameters declared by decorators instead of argparse."""

    def _legacy_parameters(self, module: LoadedModule) -> list[dict]:
        """Read ``@parameter(name, type, required, defaultValue, description)`` decorators."""
        frame = Frame(module, module.globals)
        parameters = []
        for node in statements_of(module.tree.body):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                if not isinstance(decorator, ast.Call):
                    continue
                name = (
                    decorator.func.attr
                    if isinstance(decorator.func, ast.Attribute)
                    else (decorator.func.id if isinstance(decorator.func, ast.Name) else "")
                )
                if name != "parameter":
                    continue
                args, kwargs, _ = self._call_arguments(decorator, frame)
                fields = dict(
                    zip(
                        ("name", "type", "required", "defaultValue", "description"),
                        args,
                        strict=False,
                    )
                )
                fields.update(kwargs)
                param_name = fields.get("name")
                if not isinstance(param_name, str):
                    self._warn(
                        module, decorator.lineno, "A @parameter without a literal name is skipped."
                    )
                    continue
                declared_type = fields.get("type")
                parameters.append(
                    {
                        "name": param_name,
                        "flags": [f"--{param_name}"],
                        "action": "store",
                        "type": _legacy_type(declared_type),
                        "nargs": None,
                        "default": self._json_value(
                            fields.get("defaultValue"), param_name, decorator, frame, what="default"
                        ),
                        "required": bool(fields.get("required", False))
                        if self._constant(fields.get("required", False))
                        else False,
                        "choices": None,
                        "help": fields.get("description")
                        if isinstance(fields.get("description"), str)
                        else None,
                    }
                )
        return parameters


def _legacy_type(declared: Any) -> str | None:
    if not isinstance(declared, str):
        return None
    lowered = declared.lower()
    mapping = {
        "float": "float",
        "integer": "int",
        "int": "int",
        "boolean": "bool",
        "bool": "bool",
        "string": "str",
        "str": "str",
    }
    return mapping.get(lowered, declared)
