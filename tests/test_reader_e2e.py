"""A click module published end to end (issue 14): it builds, its version page shows the
parameter table the reader found, and its image runs with those flags. The same real pieces as
tests/test_publishing_e2e.py (git over HTTP, the Celery worker and builder, the registry, the
Docker engine)."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request

import pytest

from accounts.models import PersonalAccessToken
from publishing.models import Status
from tests.test_publishing_e2e import (  # noqa: F401 - fixtures
    api,
    log_text,
    module,
    push_code,
    stack,
    wait_until_final,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CLICK_TRAIN = """import json
import pathlib

import click


@click.command()
@click.option("--input-path", required=True, type=click.Path(), help="Data folder")
@click.option("--output-path", required=True, type=click.Path(), help="Results folder")
@click.option("--epochs", default=1, help="Passes over the data")
@click.option("--shout/--no-shout", default=False, help="Print loudly")
def main(input_path, output_path, epochs, shout):
    files = sorted(p.name for p in pathlib.Path(input_path).iterdir())
    result = {"epochs": epochs, "shout": shout, "files": files}
    pathlib.Path(output_path, "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
"""


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_a_click_module_publishes_shows_its_parameters_and_runs_with_them(
    stack,  # noqa: F811 - the fixture imported above
    hub,
    git_client,
    module,  # noqa: F811
    people,
    tmp_path,
    docker_engine,
):
    push_code(
        hub,
        git_client,
        module,
        people.owner,
        tmp_path,
        {"train.py": CLICK_TRAIN, "requirements.txt": "click==8.5.1\n"},
    )
    _, token = PersonalAccessToken.issue(people.owner, "ci", ["write"])
    status, body = api(
        hub,
        token,
        "POST",
        f"/api/v1/modules/{module.full_name}/publications/",
        {"entrypoint": "train.py", "base_environment": "python-3.11"},
    )
    assert status == 202, body
    publication = wait_until_final(body["id"])
    assert publication.status == Status.PUBLISHED, log_text(publication)
    by_name = {p["name"]: p for p in publication.parameters}
    assert list(by_name) == ["input_path", "output_path", "epochs", "shout"]
    assert (by_name["epochs"]["type"], by_name["epochs"]["default"]) == ("int", 1)
    assert by_name["shout"]["flags"] == ["--shout", "--no-shout"]

    page = urllib.request.urlopen(hub.url + publication.get_absolute_url(), timeout=30).read()
    for text in (b"--epochs", b"Passes over the data", b"--shout"):
        assert text in page, text

    reference = publication.image_reference
    subprocess.run(["docker", "pull", "-q", reference], check=True, capture_output=True)
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    (inputs / "sample.txt").write_text("cat\n")
    outputs.chmod(0o777)
    run = subprocess.run(
        [
            *("docker", "run", "--rm", "--network", "none"),
            *("-v", f"{inputs}:/in:ro", "-v", f"{outputs}:/out", reference),
            *("--input-path", "/in", "--output-path", "/out", "--epochs", "3", "--shout"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    subprocess.run(["docker", "rmi", "-f", reference], capture_output=True)
    assert run.returncode == 0, run.stderr
    result = json.loads((outputs / "result.json").read_text())
    assert result == {"epochs": 3, "shout": True, "files": ["sample.txt"]}
