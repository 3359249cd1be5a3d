"""Layering: accounts <- modules <- publishing <- registry <- pipelines; a lower app never
imports a higher one (it announces with a signal instead), checked on the source like any
behaviour.

Registry and pipelines both stand on publishing; the order between them is the one of
INSTALLED_APPS (a run names the registry's resources, the registry knows nothing of runs).
The project package ``mlreef`` is two things: its shared machinery (``http_body``,
``streams``, ``celery``...), which any app may use and which imports no app, and the
project's top (``urls``, ``api``), which no app imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["accounts", "modules", "publishing", "registry", "pipelines"]
PROJECT = "mlreef"


def imports(path: Path) -> list[tuple[int, str]]:
    """Every absolute module name ``path`` imports, anywhere in it (functions too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # ``from mlreef import celery`` names a module of the package, not just the package.
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_it_finds_every_app_in_installed_apps():
    from django.conf import settings

    assert [app for app in settings.INSTALLED_APPS if app in LAYERS] == LAYERS


def test_it_never_imports_a_higher_app_from_a_lower_one():
    offences = []
    for rank, app in enumerate(LAYERS):
        higher = set(LAYERS[rank + 1 :])
        for path in sources(app):
            for line, name in imports(path):
                if name.split(".")[0] in higher:
                    offences.append(f"{where(path, line)} imports {name}")
    assert offences == [], "lower apps import higher ones:\n" + "\n".join(offences)


def test_it_keeps_the_project_machinery_apps_use_free_of_apps():
    used = {
        name
        for app in LAYERS
        for path in sources(app)
        for _, name in imports(path)
        if name.split(".")[0] == PROJECT
    }
    offences = []
    for path in sources(PROJECT):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if module not in used:
            continue
        for line, name in imports(path):
            if name.split(".")[0] in LAYERS:
                offences.append(f"{where(path, line)} ({module}, used by apps) imports {name}")
    assert used, "no app uses the project's machinery: the check would prove nothing"
    assert offences == [], "\n".join(offences)


def test_it_catches_an_import_at_any_depth(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def late():\n    from pipelines.models import Run\n    import registry\n")
    assert [name for _, name in imports(sample)] == [
        "pipelines.models",
        "pipelines.models.Run",
        "registry",
    ]
