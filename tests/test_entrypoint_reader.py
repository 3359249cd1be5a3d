"""The static argparse reader, checked against what argparse itself builds.

Each corpus script is run in a throw-away subprocess by tests/argparse_truth.py (the ground
truth); the reader only parses it. They must agree on every field the reader could resolve.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from publishing.reader import convention_problem, read_entrypoint

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "argparse_corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "train.py").exists())


def ground_truth(script: Path) -> list[dict]:
    result = subprocess.run(
        [sys.executable, str(HERE / "argparse_truth.py"), str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=script.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])["parameters"]


def assert_matches_argparse(read: dict, truth: list[dict]) -> None:
    assert [p["name"] for p in read["parameters"]] == [p["name"] for p in truth]
    warned_lines = {w["line"] for w in read["warnings"]}
    for mine, theirs in zip(read["parameters"], truth, strict=True):
        for key in ("flags", "action", "nargs", "required", "choices", "help"):
            assert mine[key] == theirs[key], (mine["name"], key, mine[key], theirs[key])
        if isinstance(mine["default"], dict) and "expr" in mine["default"]:
            assert warned_lines, f"unresolved default of {mine['name']} without a warning"
        else:
            assert mine["default"] == theirs["default"], (mine["name"], mine["default"])
        if mine["type"] in (None, "int", "float", "str", "bool"):
            assert mine["type"] == theirs["type"], (mine["name"], mine["type"], theirs["type"])
        else:  # a callable, kept as written
            assert mine["type"].endswith(theirs["type"]), (mine["type"], theirs["type"])


@pytest.mark.parametrize("case", CASES)
def test_it_agrees_with_argparse(case):
    script = CORPUS / case / "train.py"
    read = read_entrypoint(script, CORPUS / case)
    assert read["entrypoint"] == "train.py"
    assert_matches_argparse(read, ground_truth(script))


def test_unresolvable_defaults_are_kept_as_source_with_a_warning():
    read = read_entrypoint(CORPUS / "unresolved" / "train.py", CORPUS / "unresolved")
    by_name = {p["name"]: p for p in read["parameters"]}
    assert by_name["workers"]["default"] == {"expr": "os.cpu_count()"}
    assert by_name["cache_dir"]["default"] == {"expr": 'os.environ.get("CACHE_DIR", "/tmp/cache")'}
    assert by_name["lr"]["default"] == 0.1
    assert {w["line"] for w in read["warnings"]} == {7, 8}
    assert "os.cpu_count()" in read["warnings"][0]["message"]


def test_custom_types_are_kept_as_written():
    read = read_entrypoint(CORPUS / "clearml" / "train.py", CORPUS / "clearml")
    assert {p["name"]: p["type"] for p in read["parameters"]}["resume"] == "str2bool"


def test_conditionally_added_arguments_are_flagged():
    read = read_entrypoint(CORPUS / "two_stage" / "train.py", CORPUS / "two_stage")
    assert read["warnings"] == []  # `if True:` is known statically


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


IO = 'p.add_argument("--input-path")\np.add_argument("--output-path")\n'


def test_subparsers_give_a_warning_not_a_crash(tmp_path):
    write(
        tmp_path,
        {
            "train.py": "import argparse\np = argparse.ArgumentParser()\n"
            + IO
            + "sub = p.add_subparsers(dest='cmd')\nfit = sub.add_parser('fit')\n"
            "fit.add_argument('--epochs')\np.parse_args()\n"
        },
    )
    read = read_entrypoint(tmp_path / "train.py", tmp_path)
    assert [p["name"] for p in read["parameters"]] == ["input_path", "output_path"]
    assert read["warnings"][0]["line"] == 5 and "Sub-commands" in read["warnings"][0]["message"]


def test_a_parser_built_in_an_unknown_loop_warns(tmp_path):
    write(
        tmp_path,
        {
            "train.py": "import argparse, os\np = argparse.ArgumentParser()\n"
            + IO
            + "for name in os.listdir('.'):\n    p.add_argument('--' + name)\n"
            "p.parse_args()\n"
        },
    )
    read = read_entrypoint(tmp_path / "train.py", tmp_path)
    assert len(read["parameters"]) == 2
    assert read["warnings"] == [{"line": 6, "message": read["warnings"][0]["message"]}]
    assert "loop" in read["warnings"][0]["message"]


def test_computed_option_names_warn(tmp_path):
    write(
        tmp_path,
        {
            "train.py": "import argparse, os\np = argparse.ArgumentParser()\n"
            + IO
            + "p.add_argument(os.environ['FLAG'])\np.parse_args()\n"
        },
    )
    read = read_entrypoint(tmp_path / "train.py", tmp_path)
    assert len(read["parameters"]) == 2 and read["warnings"][0]["line"] == 5


def test_a_parser_passed_to_a_third_party_function_warns(tmp_path):
    write(
        tmp_path,
        {
            "train.py": "import argparse\nimport lightning\np = argparse.ArgumentParser()"
            "\n" + IO + "lightning.add_args(p)\np.parse_args()\n"
        },
    )
    read = read_entrypoint(tmp_path / "train.py", tmp_path)
    assert (
        read["warnings"][0]["line"] == 6 and "lightning.add_args" in read["warnings"][0]["message"]
    )


def test_imports_outside_the_repository_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"evil.py": "def add(p):\n    p.add_argument('--evil')\n"})
    repo = tmp_path / "repo"
    write(
        repo,
        {
            "pkg/__init__.py": "",
            "pkg/train.py": "import argparse\nfrom ...outside.evil import add\n"
            "p = argparse.ArgumentParser()\n" + IO + "add(p)\np.parse_args()\n",
        },
    )
    (repo / "linked.py").symlink_to(outside / "evil.py")
    write(
        repo,
        {
            "main.py": "import argparse\nimport linked\np = argparse.ArgumentParser()\n"
            + IO
            + "linked.add(p)\np.parse_args()\n"
        },
    )
    for entry in ("pkg/train.py", "main.py"):
        read = read_entrypoint(repo / entry, repo)
        assert [p["name"] for p in read["parameters"]] == ["input_path", "output_path"]
        assert any("outside the repository" in w["message"] for w in read["warnings"]), entry


def test_a_circular_local_import_warns_and_ends(tmp_path):
    write(
        tmp_path,
        {
            "train.py": "import argparse\nfrom a import add_a\np = argparse.ArgumentParser()\n"
            + IO
            + "add_a(p)\np.parse_args()\n",
            "a.py": "from b import add_b\ndef add_a(p):\n    p.add_argument('--a')\n    add_b(p)\n",
            "b.py": "from a import add_a\ndef add_b(p):\n    p.add_argument('--b')\n",
        },
    )
    read = read_entrypoint(tmp_path / "train.py", tmp_path)
    assert [p["name"] for p in read["parameters"]] == ["input_path", "output_path", "a", "b"]
    assert any("Circular import" in w["message"] for w in read["warnings"])


def test_recursion_in_user_code_ends(tmp_path):
    write(
        tmp_path,
        {
            "train.py": "import argparse\ndef f(p):\n    p.add_argument('--x')\n"
            "    f(p)\np = argparse.ArgumentParser()\n"
            + IO.replace("p.", "p.")
            + "f(p)\np.parse_args()\n"
        },
    )
    read = read_entrypoint(tmp_path / "train.py", tmp_path)
    assert [p["name"] for p in read["parameters"]] == ["input_path", "output_path", "x"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("import argparse\np = argparse.ArgumentParser(\n", "train.py:2: syntax error"),
        (b"\x7fELF\x00\x01binary", "binary file"),
        (b"caf\xe9 = 1\n", "not UTF-8"),
    ],
)
def test_unreadable_files_give_one_clear_error(tmp_path, content, message):
    write(tmp_path, {"train.py": content})
    with pytest.raises(CommandError, match=message):
        call_command("parse_entrypoint", "train.py", "--repo-root", str(tmp_path))


@pytest.mark.parametrize("content", ["", "print('no argparse here')\n"])
def test_files_without_a_parser_give_a_warning(tmp_path, content):
    write(tmp_path, {"train.py": content})
    read = read_entrypoint(tmp_path / "train.py", tmp_path)
    assert read["parameters"] == []
    assert "No command-line parameters found" in read["warnings"][0]["message"]


def test_legacy_mlreef_decorators(tmp_path):
    write(
        tmp_path,
        {
            "op.py": """
from mlreef import data_processor, parameter

@data_processor(name="Resnet filter", author="MLReef", type="ALGORITHM",
                description="Transforms images", visibility="PUBLIC",
                input_type="IMAGE", output_type="IMAGE")
@parameter(name="cropFactor", type="Float", required=True, defaultValue=1,
           description="How much to crop")
@parameter("imageFiles", "List", False, [])
def run(cropFactor, imageFiles):
    pass
"""
        },
    )
    read = read_entrypoint(tmp_path / "op.py", tmp_path)
    assert read["source"] == "mlreef-decorators"
    assert read["parameters"] == [
        {
            "name": "cropFactor",
            "flags": ["--cropFactor"],
            "action": "store",
            "type": "float",
            "nargs": None,
            "default": 1,
            "required": True,
            "choices": None,
            "help": "How much to crop",
        },
        {
            "name": "imageFiles",
            "flags": ["--imageFiles"],
            "action": "store",
            "type": "List",
            "nargs": None,
            "default": [],
            "required": False,
            "choices": None,
            "help": None,
        },
    ]


def test_the_publishing_convention_shows_the_fix(tmp_path):
    write(
        tmp_path,
        {
            "train.py": "import argparse\np = argparse.ArgumentParser()\n"
            "p.add_argument('--input-path')\np.parse_args()\n"
        },
    )
    read = read_entrypoint(tmp_path / "train.py", tmp_path)
    problem = convention_problem(read)
    assert "does not declare --output-path" in problem
    assert 'parser.add_argument("--output-path", required=True' in problem
    ok = read_entrypoint(CORPUS / "basic" / "train.py", CORPUS / "basic")
    assert convention_problem(ok) is None
    with pytest.raises(CommandError, match="--output-path"):
        call_command(
            "parse_entrypoint",
            str(tmp_path / "train.py"),
            "--repo-root",
            str(tmp_path),
            "--check-convention",
            stdout=open("/dev/null", "w"),
        )


def test_the_command_line_prints_json_and_fails_in_one_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "parse_entrypoint",
            "train.py",
            "--repo-root",
            str(CORPUS / "groups"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["entrypoint"] == "train.py" and set(output) >= {"parameters", "warnings"}
    missing = subprocess.run(
        [sys.executable, "manage.py", "parse_entrypoint", "nope.py", "--repo-root", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        timeout=60,
    )
    assert missing.returncode != 0
    assert missing.stderr.strip().count("\n") == 0 and "no such file" in missing.stderr
    outside = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "parse_entrypoint",
            str(CORPUS / "basic" / "train.py"),
            "--repo-root",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    )
    assert outside.returncode != 0 and "outside the repository root" in outside.stderr


def test_a_5000_argument_file_is_read_quickly(tmp_path):
    import time

    lines = ["import argparse", "p = argparse.ArgumentParser()"]
    lines += [
        f"p.add_argument('--arg-{i}', type=int, default={i}, help='number {i}')"
        for i in range(5000)
    ]
    write(tmp_path, {"big.py": "\n".join(lines + ["p.parse_args()"])})
    started = time.perf_counter()
    read = read_entrypoint(tmp_path / "big.py", tmp_path)
    elapsed = time.perf_counter() - started
    assert len(read["parameters"]) == 5000 and read["parameters"][-1]["default"] == 4999
    print(f"5,000 arguments read in {elapsed * 1000:.0f} ms")


def test_a_parser_factory_that_is_never_called_is_still_read(tmp_path):
    write(
        tmp_path,
        {
            "train.py": "import argparse\ndef get_parser():\n"
            "    p = argparse.ArgumentParser()\n    " + IO.replace("\n", "\n    ") + "return p\n"
        },
    )
    read = read_entrypoint(tmp_path / "train.py", tmp_path)
    assert [p["name"] for p in read["parameters"]] == ["input_path", "output_path"]
    assert "get_parser()" in read["warnings"][0]["message"]


def test_a_declared_source_encoding_is_honoured(tmp_path):
    (tmp_path / "train.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport argparse\np = argparse.ArgumentParser()\n"
        b'p.add_argument("--caf\xe9", help="\xe9t\xe9", default=os.sep)\np.parse_args()\n'
    )
    read = read_entrypoint("train.py", tmp_path)
    assert read["parameters"][0]["flags"] == ["--café"]
    assert read["parameters"][0]["help"] == "été"
    assert read["parameters"][0]["default"] == {"expr": "os.sep"}  # exact text, offsets right
