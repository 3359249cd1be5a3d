"""Generated hostile scripts (tests/reader_fuzz.py): read within the budget or refused, never a
crash. bench/fuzz_reader.py runs 2,000 of them through the child process with its real limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from publishing.reader import EntrypointError, EntrypointReader, read_entrypoint_isolated
from publishing.reader.budget import MAX_STEPS, MAX_TOTAL_SIZE
from tests.reader_fuzz import write


@pytest.mark.parametrize("seed", range(0, 400, 5))
def test_a_hostile_script_is_read_within_the_budget_or_refused(tmp_path, seed):
    write(tmp_path, seed)
    reader = EntrypointReader(tmp_path)
    try:
        result = reader.read(Path("train.py"))
    except EntrypointError as error:
        assert str(error).startswith(("train.py", "helper.py"))
        return
    assert reader.budget.steps <= MAX_STEPS and reader.budget.size <= MAX_TOTAL_SIZE * 1.1
    assert all(isinstance(w["line"], int) and w["message"] for w in result["warnings"])


@pytest.mark.parametrize("seed", [3, 40, 43, 111])
def test_hostile_scripts_through_the_child_process(tmp_path, seed):
    """Same answers through the child process (a generous time limit: this is not a timing)."""
    write(tmp_path, seed)
    try:
        expected = EntrypointReader(tmp_path).read(Path("train.py"))
    except EntrypointError as error:
        with pytest.raises(EntrypointError, match=str(error).split(":")[0]):
            read_entrypoint_isolated("train.py", tmp_path, timeout=120)
    else:
        assert read_entrypoint_isolated("train.py", tmp_path, timeout=120) == expected
