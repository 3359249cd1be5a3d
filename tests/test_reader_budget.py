"""The reader's budget and its child process: nothing a file contains holds the server.

Each reproduction of issue 9 item 1 is here: two nested loops of 1,500, a 10,000³ loop,
``[[0]*100000]*100000`` and ``"x"*100000*100000``. None asserts a time: each asserts that the
work stayed within the budget (steps and sizes are counted, not timed) and what the user sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from publishing import services
from publishing.models import Status
from publishing.reader import (
    EntrypointError,
    EntrypointReader,
    ReaderLimitError,
    read_entrypoint,
    read_entrypoint_isolated,
    sandbox,
)
from publishing.reader.budget import MAX_STEPS, MAX_TOTAL_SIZE, MAX_VALUE_SIZE
from tests.test_publishing import (  # noqa: F401 - fixtures
    environment,
    fake_builder,
    module,
    no_queue,
    start,
)

HEAD = "import argparse\np = argparse.ArgumentParser()\n"
TAIL = 'p.add_argument("--input-path")\np.add_argument("--output-path")\np.parse_args()\n'


def read_counted(tmp_path: Path, body: str) -> tuple[dict, EntrypointReader]:
    (tmp_path / "train.py").write_text(HEAD + body + TAIL)
    reader = EntrypointReader(tmp_path)
    return reader.read(Path("train.py")), reader


def within_budget(reader: EntrypointReader) -> bool:
    # Sizes can overshoot by the one value that crossed the line, steps not at all.
    return reader.budget.steps <= MAX_STEPS and reader.budget.size <= MAX_TOTAL_SIZE * 1.1


def names(result: dict) -> list[str]:
    return [p["name"] for p in result["parameters"]]


def test_two_nested_loops_of_1500_share_one_budget(tmp_path):
    result, reader = read_counted(
        tmp_path, "for i in range(1500):\n    for j in range(1500):\n        x = i + j\n"
    )
    assert within_budget(reader)
    assert names(result) == ["input_path", "output_path"]  # the rest of the file is still read
    assert any("too long for the reader's budget" in w["message"] for w in result["warnings"])


def test_a_10000_cubed_loop_stops_and_the_arguments_after_it_are_read(tmp_path):
    body = (
        "for i in range(10000):\n    for j in range(10000):\n        for k in range(10000):\n"
        '            p.add_argument(f"--a{i}-{j}-{k}")\n'
    )
    result, reader = read_counted(tmp_path, body)
    assert within_budget(reader)
    assert names(result)[-2:] == ["input_path", "output_path"]
    assert {w["line"] for w in result["warnings"]} >= {3, 4, 5}


def test_huge_values_are_kept_as_their_text(tmp_path):
    body = (
        'p.add_argument("--grid", default=[[0]*100000]*100000)\n'
        'p.add_argument("--text", default="x"*100000*100000)\n'
        'p.add_argument("--edge", default="x"*100000)\n'
        'p.add_argument("--fits", default=len("x"*99999))\n'
        'p.add_argument("--power", default=10**10**10)\n'
        'p.add_argument("--width", default=f"{1:>999999999}")\n'
        'p.add_argument("--fmt", default="%999999999d" % 1)\n'
        'p.add_argument("--joined", default="ab".join(["x" * 9999] * 11))\n'
    )
    result, reader = read_counted(tmp_path, body)
    defaults = {p["name"]: p["default"] for p in result["parameters"]}
    assert defaults["grid"] == {"expr": "[[0]*100000]*100000"}
    assert defaults["text"] == {"expr": '"x"*100000*100000'}
    # The limit itself is refused: a value must stay below it.
    assert defaults["edge"] == {"expr": '"x"*100000'}
    assert defaults["fits"] == MAX_VALUE_SIZE - 1
    for name in ("power", "width", "fmt", "joined"):
        assert "expr" in defaults[name], name
    warned = {w["line"] for w in result["warnings"] if "too large" in w["message"]}
    assert warned == {3, 4, 5, 7, 8, 9, 10}
    assert within_budget(reader)


def test_exponential_calls_stop_at_the_budget_with_a_warning(tmp_path):
    helpers = "".join(
        f"def f{i}():\n    f{i + 1}()\n    f{i + 1}()\n    return 1\n" for i in range(30)
    )
    result, reader = read_counted(tmp_path, helpers + "def f30():\n    return 1\nf0()\n")
    assert within_budget(reader)
    assert any("budget" in w["message"] and "used up" in w["message"] for w in result["warnings"])


def test_deep_nesting_and_recursion_end_and_the_file_is_still_read(tmp_path):
    body = (
        "x = "
        + "+".join(["1"] * 200)
        + "\n"
        + "def loop(n):\n    return loop(n + 1)\n"
        + "loop(0)\n"
        + "deep = 0\n"
        + "for i in range(60):\n    deep = [deep]\n"
        + 'p.add_argument("--deep", default=deep)\n'
    )
    result, reader = read_counted(tmp_path, body)
    assert within_budget(reader)
    assert names(result) == ["deep", "input_path", "output_path"]
    assert "expr" in result["parameters"][0]["default"]
    assert {w["line"] for w in result["warnings"]} == {3, 9, 10}


def test_expressions_too_deep_for_python_itself_are_a_clear_error(tmp_path):
    (tmp_path / "train.py").write_text("x = " + "+".join(["1"] * 100_000) + "\n")
    with pytest.raises(EntrypointError, match="cannot be parsed"):
        read_entrypoint("train.py", tmp_path)


def test_loops_over_literal_dicts_and_comprehensions_are_read(tmp_path):
    body = (
        'PARAMS = {"lr": (float, 0.1), "depth": (int, 3)}\n'
        "for name, (kind, default) in PARAMS.items():\n"
        '    p.add_argument(f"--{name}", type=kind, default=default)\n'
        'p.add_argument("--batch", type=int, choices=[2 ** i for i in range(5, 9)])\n'
        'p.add_argument("--model", choices=sorted({"b": 1, "a": 2}))\n'
    )
    result, _ = read_counted(tmp_path, body)
    by_name = {p["name"]: p for p in result["parameters"]}
    assert (by_name["lr"]["type"], by_name["lr"]["default"]) == ("float", 0.1)
    assert (by_name["depth"]["type"], by_name["depth"]["default"]) == ("int", 3)
    assert by_name["batch"]["choices"] == [32, 64, 128, 256]
    assert by_name["model"]["choices"] == ["a", "b"]
    assert result["warnings"] == []


def test_a_comprehension_too_long_for_the_budget_is_kept_as_text(tmp_path):
    body = 'p.add_argument("--n", default=[i for i in range(99999) for j in range(99999)])\n'
    result, reader = read_counted(tmp_path, body)
    assert within_budget(reader)
    assert "expr" in result["parameters"][0]["default"]


# -- the child process ---------------------------------------------------------------------------
def test_the_isolated_reader_gives_the_same_result(tmp_path):
    corpus = Path(__file__).parent / "argparse_corpus" / "dict_loop"
    assert read_entrypoint_isolated("train.py", corpus) == read_entrypoint("train.py", corpus)


def test_the_isolated_reader_keeps_user_errors(tmp_path):
    (tmp_path / "train.py").write_text("def (:\n")
    with pytest.raises(EntrypointError, match="syntax error"):
        read_entrypoint_isolated("train.py", tmp_path)


def test_a_reader_past_its_time_limit_is_stopped_with_a_clear_error(tmp_path):
    (tmp_path / "train.py").write_text(HEAD + TAIL)
    with pytest.raises(ReaderLimitError, match="took longer than 0.001 s and was stopped"):
        read_entrypoint_isolated("train.py", tmp_path, wall_timeout=0.001)


def test_a_reader_past_its_cpu_limit_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    # The budget keeps real reads far below a second; a child that spins stands in for one
    # that would not stop (the limit is the child's own RLIMIT_CPU).
    spinner = tmp_path / "spin.py"
    spinner.write_text(
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (1, 2))\n"
        "while True:\n    pass\n"
    )
    monkeypatch.setattr(sandbox, "WORKER", spinner)
    (tmp_path / "train.py").write_text(HEAD + TAIL)
    with pytest.raises(ReaderLimitError, match="more than 1 s of CPU time"):
        read_entrypoint_isolated("train.py", tmp_path, timeout=1, wall_timeout=60)


def test_a_reader_past_its_memory_limit_is_stopped_with_a_clear_error(tmp_path):
    (tmp_path / "train.py").write_text(HEAD + TAIL)
    with pytest.raises(ReaderLimitError, match="MiB|stopped on this file"):
        read_entrypoint_isolated("train.py", tmp_path, memory=8 * 2**20)


@pytest.mark.django_db
def test_a_stopped_reader_is_a_user_error_in_the_wizard_and_the_build(
    module,  # noqa: F811 - the fixture imported above
    people,
    environment,  # noqa: F811
    client,
    monkeypatch,
):
    monkeypatch.setattr(sandbox, "READ_WALL_TIMEOUT", 0.001)
    client.force_login(people.owner)
    url = module.get_absolute_url() + "publish/"
    client.post(
        url + "?step=source",
        {"ref": "master", "entrypoint": "train.py", "requirements_path": "requirements.txt"},
    )
    page = client.get(url + "?step=parameters")
    assert page.status_code == 200
    assert b"took longer than 0.001 s and was stopped" in page.content

    publication = start(module, people.owner)
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    assert publication.status == Status.FAILED and publication.failure_kind == "user"
    assert "took longer than 0.001 s" in publication.failure_reason
