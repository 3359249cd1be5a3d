"""python-fire: ``fire.Fire(fn)`` takes the function's signature, ``fire.Fire(Class)`` the
constructor's (its methods are commands); help comes from the docstring. Flags are
``--<name as written>``, one ``store`` parameter per argument, ``*args``/``**kwargs`` skipped."""

from __future__ import annotations

import ast
from typing import Any

from ..values import NO_VALUE, ClassRef, Frame, FunctionRef, LibraryCall
from .common import as_json, parameter
from .docstrings import parameter_help
from .signatures import constructor, signature


def parameters(reader: Any, call: LibraryCall) -> list[dict]:
    target = call.args[0] if call.args else call.kwargs.get("component")
    if isinstance(target, ClassRef):
        init = constructor(target)
        helps = parameter_help(ast.get_docstring(target.node)) if target.node else {}
        methods = [n for n, v in target.namespace.items() if isinstance(v, FunctionRef)]
        if any(not n.startswith("_") for n in methods):
            reader._warn(
                call.module,
                call.node.lineno,
                f"The methods of {target.name} are fire commands; only the constructor's "
                "arguments are read as parameters.",
            )
        items = signature(reader, init, skip_first=True) if init else []
    elif isinstance(target, FunctionRef):
        helps = {}
        items = signature(reader, target)
    else:
        reader._warn(
            call.module,
            call.node.lineno,
            "fire.Fire() without a function or class of the repository: its parameters "
            "cannot be read.",
        )
        return []
    result = []
    for item in items:
        kind = item.type
        frame = Frame(call.module, call.module.globals)
        node = item.default_node or call.node
        result.append(
            parameter(
                item.name,
                ["--" + item.name],
                type=kind.name if kind.enum is None else kind.enum.name,
                default=as_json(reader, item.default, item.name, node, frame, "name"),
                required=item.default is NO_VALUE,
                help=item.help or helps.get(item.name),
            )
        )
    return result
