"""The other command-line styles (issue 14), checked against what each real library builds.

Each script of tests/cli_corpus/<style>_<case>/ is run in a throw-away subprocess by
tests/cli_truth.py with the real library (click, typer, transformers' HfArgumentParser, absl,
fire, jsonargparse); the reader only parses it, without importing any of them. They must agree
on every field.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from publishing.reader import convention_problem, read_entrypoint

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "cli_corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "train.py").exists())
SOURCES = {
    "click": "click",
    "typer": "typer",
    "hf": "HfArgumentParser",
    "absl": "absl",
    "fire": "fire",
    "jsonargparse": "jsonargparse",
}
LIBRARIES = ["click", "typer", "transformers", "absl", "fire", "jsonargparse", "tensorflow"]


def ground_truth(style: str, script: Path) -> list[dict]:
    result = subprocess.run(
        [sys.executable, str(HERE / "cli_truth.py"), style, script.name],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=script.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])["parameters"]


@pytest.mark.parametrize("case", CASES)
def test_it_agrees_with_the_library(case):
    style = case.split("_")[0]
    read = read_entrypoint("train.py", CORPUS / case)
    assert read["source"] == SOURCES[style]
    truth = ground_truth(style, CORPUS / case / "train.py")
    assert [p["name"] for p in read["parameters"]] == [p["name"] for p in truth]
    for mine, theirs in zip(read["parameters"], truth, strict=True):
        assert mine == theirs, (mine["name"], mine, theirs)
    assert convention_problem(read) is None


def test_the_reader_imports_none_of_the_libraries():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from pathlib import Path; from publishing.reader import read_entrypoint;"
        "[read_entrypoint('train.py', p) for p in Path(sys.argv[2]).iterdir()];"
        f"print([m for m in {LIBRARIES!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(HERE.parent), str(CORPUS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


BAD_INPUT = {
    "click": (
        "import click\nNAMES = load()\n@click.command()\n"
        "@click.option(NAMES[0])\n@click.option('--ok', type=click.Choice(CHOICES))\n"
        "def main(**kw):\n    pass\nmain()\n",
        {4},
    ),
    "typer": (
        "import typer\ndef main(x: int = typer.Option(compute())):\n    pass\ntyper.run(main)\n",
        {2},
    ),
    "absl": (
        "from absl import flags\nfor name in load():\n    flags.DEFINE_string(name, None, 'x')\n"
        "flags.DEFINE_integer(NAME, 1, 'y')\nflags.DEFINE_string('a', os.environ['A'], 'z')\n",
        {3, 4, 5},
    ),
    "fire": ("import fire\nfire.Fire(load())\n", {2}),
    "hf": (
        "from transformers import HfArgumentParser\nHfArgumentParser(get_types()).parse_args()\n",
        {2},
    ),
    "jsonargparse": ("from jsonargparse import CLI\nCLI(pick())\n", {2}),
}


@pytest.mark.parametrize("style", sorted(BAD_INPUT))
def test_dynamic_definitions_give_warnings_with_line_numbers(tmp_path, style):
    source, lines = BAD_INPUT[style]
    (tmp_path / "train.py").write_text(source)
    read = read_entrypoint("train.py", tmp_path)
    assert {w["line"] for w in read["warnings"]} >= lines, read["warnings"]


@pytest.mark.parametrize("style", sorted(BAD_INPUT))
def test_syntax_errors_and_huge_loops_are_handled_for_every_style(tmp_path, style):
    source, _ = BAD_INPUT[style]
    (tmp_path / "train.py").write_text(
        source + "for i in range(5000):\n    for j in range(5000):\n        x = i * j\n"
    )
    read = read_entrypoint("train.py", tmp_path)
    assert any("budget" in w["message"] for w in read["warnings"])
    (tmp_path / "train.py").write_text(source + "def broken(:\n")
    with pytest.raises(Exception, match="syntax error"):
        read_entrypoint("train.py", tmp_path)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "from absl import flags\nflags.DEFINE_string('input_path', None, 'in')\n"
            "flags.DEFINE_string('output_path', None, 'out')\n",
            None,
        ),
        (
            "import fire\ndef main(input_path, output_path='out'):\n    pass\nfire.Fire(main)\n",
            None,
        ),
        (
            "import click\n@click.command()\n@click.option('--input_path')\n"
            "def main(input_path):\n    pass\nmain()\n",
            '@click.option("--output-path", required=True',
        ),
    ],
)
def test_the_convention_accepts_the_spellings_the_library_accepts(tmp_path, source, problem):
    (tmp_path / "train.py").write_text(source)
    found = convention_problem(read_entrypoint("train.py", tmp_path))
    if problem is None:
        assert found is None
    else:
        assert problem in found and "--input-path" not in found.splitlines()[0]
