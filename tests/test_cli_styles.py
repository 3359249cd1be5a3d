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
LIBRARIES = [
    "click",
    "click_option_group",
    "typer",
    "transformers",
    "absl",
    "fire",
    "jsonargparse",
    "tensorflow",
]


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


# More shapes of the same trouble: loops over data known only at run time, computed names.
MORE_BAD_INPUT = {
    "click-loop": (
        "import click\n@click.command()\n@click.option('--input-path')\ndef main(**kw):\n"
        "    pass\nfor name in load():\n    main = click.option(name)(main)\nmain()\n",
        {7},
    ),
    "typer-names": (
        "import typer\nNAME = get()\n"
        "def main(x: int = typer.Option(1, NAME), y: str = typer.Option('a', '--' + NAME)):\n"
        "    pass\ntyper.run(main)\n",
        {3},
    ),
    "typer-loop": (
        "import typer\napp = typer.Typer()\nfor fn in load():\n    app.command()(fn)\napp()\n",
        {4},
    ),
    "hf-loop": (
        "from transformers import HfArgumentParser\nfrom dataclasses import dataclass\n"
        "@dataclass\nclass A:\n    x: int = 1\np = HfArgumentParser(A)\nfor n in load():\n"
        "    p.add_argument(n)\np.add_argument(NAME, type=int)\n"
        "p.parse_args_into_dataclasses()\n",
        {8, 9},
    ),
    "hf-default": (
        "from transformers import HfArgumentParser\nfrom dataclasses import dataclass, field\n"
        "@dataclass\nclass A:\n    x: int = field(default=compute())\n"
        "HfArgumentParser((A,)).parse_args_into_dataclasses()\n",
        {5},
    ),
    "absl-loop": (
        "from absl import flags\nfor n, d in load().items():\n    flags.DEFINE_string(n, d, 'x')\n",
        {3},
    ),
    "fire-dict": ("import fire\nfire.Fire({name: run for name in load()})\n", {2}),
    "fire-default": (
        "import fire\ndef run(a=compute(), b=1):\n    pass\nfire.Fire(run)\n",
        {2},
    ),
    "jsonargparse-loop": (
        "from jsonargparse import ArgumentParser\np = ArgumentParser()\nfor n in load():\n"
        "    p.add_argument(n)\np.add_class_arguments(get_class(), 'model')\n"
        "p.add_argument(NAME, type=int)\np.parse_args()\n",
        {4, 5, 6},
    ),
    "jsonargparse-default": (
        "from jsonargparse import CLI\ndef run(a: int = compute(), b: str = 'x'):\n    pass\n"
        "CLI(run)\n",
        {2},
    ),
}


@pytest.mark.parametrize("case", [*sorted(BAD_INPUT), *sorted(MORE_BAD_INPUT)])
def test_dynamic_definitions_give_warnings_with_line_numbers(tmp_path, case):
    source, lines = {**BAD_INPUT, **MORE_BAD_INPUT}[case]
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


@pytest.mark.parametrize(
    ("source", "spelling"),
    [
        (
            "from absl import app, flags\n"
            "flags.DEFINE_string('input_path', None, 'in')\n"
            "flags.DEFINE_string('output_path', None, 'out')\n"
            "flags.DEFINE_integer('epochs', 1, 'passes')\n"
            "app.run(lambda argv: None)\n",
            "_",
        ),
        (
            "from dataclasses import dataclass, field\n"
            "from transformers import HfArgumentParser\n"
            "@dataclass\nclass Args:\n"
            "    input_path: str = field(metadata={'help': 'in'})\n"
            "    output_path: str = 'out'\n"
            "    epochs: int = 1\n"
            "HfArgumentParser(Args).parse_args_into_dataclasses()\n",
            "_",
        ),
        (
            "import typer\n"
            "def main(input_path: str = typer.Option(...), output_path: str = typer.Option(...),"
            " epochs: int = 1):\n    pass\ntyper.run(main)\n",
            "-",
        ),
    ],
)
def test_the_run_command_uses_the_spelling_the_script_declares(tmp_path, source, spelling):
    """absl and HfArgumentParser declare --input_path (HF also --input-path, listed second);
    experiments and pipelines pass the folders with the first spelling the script declares."""
    from pipelines import parameters

    (tmp_path / "train.py").write_text(source)
    read = read_entrypoint("train.py", tmp_path)
    assert convention_problem(read) is None
    schema = read["parameters"]
    values = parameters.validate(schema, {"epochs": "3"})
    assert parameters.command(schema, values, "/in", "/out") == [
        f"--input{spelling}path", "/in", f"--output{spelling}path", "/out", "--epochs", "3",
    ]  # fmt: skip


# -- experiment commands -----------------------------------------------------------------------
# What a user picks in the experiment form must reach the script as the library parses it:
# --x/--no-x pairs, HF's "--x false", counters, repeated options, list-typed options.
COMMANDS = {
    "argparse": (
        "import argparse, json\np = argparse.ArgumentParser()\n"
        "p.add_argument('--input-path')\np.add_argument('--output-path')\n"
        "p.add_argument('--cache', action=argparse.BooleanOptionalAction, default=True)\n"
        "p.add_argument('-v', '--verbose', action='count', default=0)\n"
        "p.add_argument('--tag', action='append')\n"
        "a = p.parse_args()\nprint(json.dumps([a.cache, a.verbose, a.tag]))\n",
        {"cache": False, "verbose": "2", "tag": "a b"},
        [False, 2, ["a", "b"]],
    ),
    "click": (
        "import click, json\n@click.command()\n@click.option('--input-path')\n"
        "@click.option('--output-path')\n@click.option('--shout/--quiet', default=True)\n"
        "@click.option('-v', '--verbose', count=True)\n"
        "@click.option('--tag', multiple=True, default=['x'])\n"
        "def main(input_path, output_path, shout, verbose, tag):\n"
        "    print(json.dumps([shout, verbose, list(tag)]))\nmain()\n",
        {"shout": False, "verbose": 3, "tag": ["a", "b"]},
        [False, 3, ["a", "b"]],
    ),
    "typer": (
        "import json, typer\nfrom typing import List\n"
        "def main(input_path: str = typer.Option(...), output_path: str = typer.Option(...),\n"
        "         dry_run: bool = False, tag: List[str] = typer.Option([])):\n"
        "    print(json.dumps([dry_run, tag]))\ntyper.run(main)\n",
        {"dry_run": True, "tag": "a b"},
        [True, ["a", "b"]],
    ),
    "absl": (
        "import json\nfrom absl import app, flags\n"
        "flags.DEFINE_string('input_path', None, 'in')\n"
        "flags.DEFINE_string('output_path', None, 'out')\n"
        "flags.DEFINE_bool('shuffle', True, 'shuffle')\n"
        "flags.DEFINE_multi_string('tag', [], 'tags')\n"
        "flags.DEFINE_list('layers', '8', 'sizes')\nF = flags.FLAGS\n"
        "app.run(lambda argv: print(json.dumps([F.shuffle, F.tag, F.layers])))\n",
        {"shuffle": False, "tag": "a b", "layers": "4 2"},
        [False, ["a", "b"], ["4", "2"]],
    ),
    "HfArgumentParser": (
        "import json\nfrom dataclasses import dataclass, field\nfrom typing import List\n"
        "from transformers import HfArgumentParser\n@dataclass\nclass A:\n"
        "    input_path: str = ''\n    output_path: str = ''\n    cache: bool = True\n"
        "    fast: bool = False\n    layers: List[int] = field(default_factory=lambda: [8])\n"
        "(a,) = HfArgumentParser(A).parse_args_into_dataclasses()\n"
        "print(json.dumps([a.cache, a.fast, a.layers]))\n",
        {"cache": False, "fast": True, "layers": "4 2"},
        [False, True, [4, 2]],
    ),
    "fire": (
        "import fire, json\n"
        "def main(input_path, output_path, verbose: bool = False, layers: list = [8]):\n"
        "    print(json.dumps([verbose, list(layers)]))\nfire.Fire(main)\n",
        {"verbose": True, "layers": "4 2"},
        [True, [4, 2]],
    ),
    "jsonargparse": (
        "import json\nfrom typing import List\nfrom jsonargparse import CLI\n"
        "def main(input_path: str = '', output_path: str = '', shuffle: bool = True,\n"
        "         layers: List[int] = [8]):\n"
        "    print(json.dumps([shuffle, layers]))\nCLI(main)\n",
        {"shuffle": False, "layers": "4 2"},
        [False, [4, 2]],
    ),
}


@pytest.mark.parametrize("style", sorted(COMMANDS))
def test_the_experiment_command_reaches_the_script_as_chosen(tmp_path, style):
    """The command experiments and pipelines build, parsed by the real library."""
    from pipelines import parameters

    source, chosen, parsed = COMMANDS[style]
    (tmp_path / "train.py").write_text(source)
    read = read_entrypoint("train.py", tmp_path)
    assert read["source"] == SOURCES.get(style, style)
    schema = read["parameters"]
    arguments = parameters.command(schema, parameters.validate(schema, chosen), "/in", "/out")
    done = subprocess.run(
        [sys.executable, "train.py", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, (arguments, done.stderr)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == parsed, arguments
    # Left at their defaults, the parameters give what the script does with no option at all.
    outputs = []
    for words in (
        parameters.command(schema, parameters.validate(schema, {}), "/in", "/out"),
        arguments[:4],
    ):
        done = subprocess.run(
            [sys.executable, "train.py", *words],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert done.returncode == 0, (words, done.stderr)
        outputs.append(done.stdout.strip().splitlines()[-1])
    assert outputs[0] == outputs[1]
