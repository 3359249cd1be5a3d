"""Schema-driven fuzzing of the API (bench/api_fuzz.py, briefly): no 5xx, no status code the
schema does not declare. The schema names the Bearer scheme and every operation's 4xx."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_the_schema_declares_the_bearer_scheme_and_4xx_answers(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    bearer = schema["components"]["securitySchemes"]["personalAccessToken"]
    assert bearer == {**bearer, "type": "http", "scheme": "bearer"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"401", "403", "404", "429"} <= codes, (method, path, codes)
            assert {"personalAccessToken": []} in operation.get(
                "security", [{"personalAccessToken": []}]
            )
    commit = schema["paths"]["/api/v1/modules/{namespace}/{slug}/commits/"]["post"]
    assert {"400", "409", "413"} <= set(commit["responses"])


@pytest.mark.slow
def test_a_bounded_fuzz_run_finds_no_5xx_and_no_undocumented_status():
    if shutil.which("schemathesis", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("schemathesis is not installed (requirements-dev.txt)")
    result = subprocess.run(
        [sys.executable, "bench/api_fuzz.py", "--examples", "3", "--max-time", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
