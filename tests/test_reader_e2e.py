"""A module of each command-line style published end to end (issue 14): it builds, its version
page and API show the parameter table the reader found, and its image runs with those flags. The
same real pieces as tests/test_publishing_e2e.py (git over HTTP, the Celery worker and builder,
the registry, the Docker engine)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass

import pytest

from accounts.models import PersonalAccessToken
from publishing.models import Publication, Status
from tests.conftest import make_module
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


# -- the other styles --------------------------------------------------------------------------
# One module per style, each naming only its own library. Every script prints what it parsed as
# one JSON line, so the run proves the image's script received the flags.
TYPER_TRAIN = """import json
from enum import Enum
from typing import List

import typer


class Mode(str, Enum):
    fast = "fast"
    slow = "slow"


def main(
    input_path: str = typer.Option(..., help="Data folder"),
    output_path: str = typer.Option(..., help="Results folder"),
    epochs: int = typer.Option(1, help="Passes over the data"),
    mode: Mode = typer.Option(Mode.fast, help="Speed"),
    tag: List[str] = typer.Option([], help="Tags"),
    shout: bool = typer.Option(False, help="Print loudly"),
):
    print(json.dumps({"input": input_path, "epochs": epochs, "mode": mode.value, "tag": tag,
                      "shout": shout}))


if __name__ == "__main__":
    typer.run(main)
"""

HF_TRAIN = """import json
from dataclasses import dataclass, field
from typing import List

from transformers import HfArgumentParser


@dataclass
class Arguments:
    input_path: str = field(metadata={"help": "Data folder"})
    output_path: str = field(metadata={"help": "Results folder"})
    learning_rate: float = field(default=0.1, metadata={"help": "Step size"})
    layers: List[int] = field(default_factory=lambda: [8], metadata={"help": "Layer sizes"})
    cache: bool = field(default=True, metadata={"help": "Reuse features"})


if __name__ == "__main__":
    (args,) = HfArgumentParser(Arguments).parse_args_into_dataclasses()
    print(json.dumps({"input": args.input_path, "learning_rate": args.learning_rate,
                      "layers": args.layers, "cache": args.cache}))
"""

ABSL_TRAIN = """import json

from absl import app, flags

flags.DEFINE_string("input_path", None, "Data folder")
flags.DEFINE_string("output_path", None, "Results folder")
flags.DEFINE_integer("epochs", 1, "Passes over the data")
flags.DEFINE_enum("optimizer", "adam", ["adam", "sgd"], "Optimiser")
flags.DEFINE_bool("shuffle", True, "Shuffle the examples")
flags.DEFINE_multi_string("tag", [], "Tags")
flags.mark_flags_as_required(["input_path", "output_path"])
FLAGS = flags.FLAGS


def main(argv):
    print(json.dumps({"input": FLAGS.input_path, "epochs": FLAGS.epochs,
                      "optimizer": FLAGS.optimizer, "shuffle": FLAGS.shuffle, "tag": FLAGS.tag}))


if __name__ == "__main__":
    app.run(main)
"""

FIRE_TRAIN = """import json

import fire


def train(input_path, output_path, learning_rate: float = 0.01, epochs: int = 1,
          verbose: bool = False):
    \"\"\"Train.

    Args:
        input_path: Data folder.
        output_path: Results folder.
        learning_rate: Step size.
        epochs: Passes over the data.
    \"\"\"
    print(json.dumps({"input": input_path, "learning_rate": learning_rate, "epochs": epochs,
                      "verbose": verbose}))


if __name__ == "__main__":
    fire.Fire(train)
"""

JSONARGPARSE_TRAIN = """import json
from typing import List, Literal

from jsonargparse import CLI


def train(
    input_path: str = "",
    output_path: str = "",
    epochs: int = 1,
    layers: List[int] = [8],
    optimizer: Literal["adam", "sgd"] = "adam",
):
    \"\"\"Train.

    Args:
        input_path: Data folder.
        output_path: Results folder.
        epochs: Passes over the data.
    \"\"\"
    print(json.dumps({"input": input_path, "epochs": epochs, "layers": layers,
                      "optimizer": optimizer}))


if __name__ == "__main__":
    CLI(train)
"""


@dataclass
class StyleCase:
    script: str
    requirements: str
    flags: list[tuple[str, list[str]]]  # (parameter name, flags) the table must show
    page_text: list[bytes]  # on the version page
    arguments: list[str]  # after the folders
    printed: dict  # what the script must print


STYLE_CASES = {
    "typer": StyleCase(
        TYPER_TRAIN,
        "typer==0.29.2\n",
        [
            ("input_path", ["--input-path"]),
            ("output_path", ["--output-path"]),
            ("epochs", ["--epochs"]),
            ("mode", ["--mode"]),
            ("tag", ["--tag"]),
            ("shout", ["--shout", "--no-shout"]),
        ],
        [b"--epochs", b"Passes over the data", b"--no-shout"],
        ["--epochs", "3", "--mode", "slow", "--tag", "a", "--tag", "b", "--shout"],
        {"input": "/in", "epochs": 3, "mode": "slow", "tag": ["a", "b"], "shout": True},
    ),
    "HfArgumentParser": StyleCase(
        HF_TRAIN,
        "transformers==5.24.0\n",  # without torch: HfArgumentParser needs none
        [
            ("input_path", ["--input_path", "--input-path"]),
            ("output_path", ["--output_path", "--output-path"]),
            ("learning_rate", ["--learning_rate", "--learning-rate"]),
            ("layers", ["--layers"]),
            ("cache", ["--cache"]),
            ("cache", ["--no_cache", "--no-cache"]),
        ],
        [b"--learning_rate", b"Step size", b"--no_cache"],
        ["--learning_rate", "0.5", "--layers", "4", "2", "--no_cache"],
        {"input": "/in", "learning_rate": 0.5, "layers": [4, 2], "cache": False},
    ),
    "absl": StyleCase(
        ABSL_TRAIN,
        "absl-py==2.5.1\n",
        [
            ("input_path", ["--input_path"]),
            ("output_path", ["--output_path"]),
            ("epochs", ["--epochs"]),
            ("optimizer", ["--optimizer"]),
            ("shuffle", ["--shuffle", "--noshuffle"]),
            ("tag", ["--tag"]),
        ],
        [b"--optimizer", b"Shuffle the examples", b"--noshuffle"],
        ["--epochs", "4", "--optimizer", "sgd", "--noshuffle", "--tag", "a", "--tag", "b"],
        {"input": "/in", "epochs": 4, "optimizer": "sgd", "shuffle": False, "tag": ["a", "b"]},
    ),
    "fire": StyleCase(
        FIRE_TRAIN,
        "fire==0.7.1\n",
        [
            ("input_path", ["--input_path"]),
            ("output_path", ["--output_path"]),
            ("learning_rate", ["--learning_rate"]),
            ("epochs", ["--epochs"]),
            ("verbose", ["--verbose"]),
        ],
        [b"--learning_rate", b"Passes over the data"],
        ["--learning_rate", "0.5", "--epochs", "2", "--verbose"],
        {"input": "/in", "learning_rate": 0.5, "epochs": 2, "verbose": True},
    ),
    "jsonargparse": StyleCase(
        JSONARGPARSE_TRAIN,
        "jsonargparse==4.53.0\n",
        [
            ("input_path", ["--input_path"]),
            ("output_path", ["--output_path"]),
            ("epochs", ["--epochs"]),
            ("layers", ["--layers", "--layers+"]),
            ("optimizer", ["--optimizer"]),
        ],
        [b"--layers+", b"Passes over the data"],
        ["--epochs", "2", "--layers+", "16", "--optimizer", "sgd"],
        {"input": "/in", "epochs": 2, "layers": [8, 16], "optimizer": "sgd"},
    ),
}


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_a_module_of_each_other_style_publishes_shows_its_parameters_and_runs_with_them(
    stack,  # noqa: F811
    hub,
    git_client,
    people,
    tmp_path,
    docker_engine,
):
    """All five are queued at once: while the worker builds the next one, the test checks and
    runs the ones already published (the Celery worker builds one at a time)."""
    _, token = PersonalAccessToken.issue(people.owner, "ci", ["write"])
    pending = {}
    for style, case in STYLE_CASES.items():
        slug = f"{style.lower()}-{uuid.uuid4().hex[:6]}"
        target = make_module(people, slug, "public")
        push_code(
            hub,
            git_client,
            target,
            people.owner,
            tmp_path,
            {"train.py": case.script, "requirements.txt": case.requirements},
        )
        status, body = api(
            hub,
            token,
            "POST",
            f"/api/v1/modules/{target.full_name}/publications/",
            {"entrypoint": "train.py", "base_environment": "python-3.11"},
        )
        assert status == 202, (style, body)
        pending[body["id"]] = style
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "sample.txt").write_text("cat\n")
    deadline = time.monotonic() + 1800
    while pending:
        assert time.monotonic() < deadline, f"still building: {list(pending.values())}"
        done = [pk for pk in pending if Publication.objects.get(pk=pk).is_final]
        if not done:
            time.sleep(0.5)
            continue
        for pk in done:
            style = pending.pop(pk)
            check_published_style(hub, token, Publication.objects.get(pk=pk), style, inputs)


def check_published_style(hub, token, publication, style, inputs) -> None:
    case = STYLE_CASES[style]
    assert publication.status == Status.PUBLISHED, (style, log_text(publication))
    path = f"/api/v1/modules/{publication.module.full_name}/publications/{publication.version}/"
    status, body = api(hub, token, "GET", path)
    assert status == 200, body
    table = {p["name"]: p for p in reversed(body["parameters"])}  # an HF --no_x twin is second
    assert [(p["name"], p["flags"]) for p in body["parameters"]] == case.flags, style
    page = urllib.request.urlopen(hub.url + publication.get_absolute_url(), timeout=30).read()
    for text in case.page_text:
        assert text in page, (style, text)

    reference = publication.image_reference
    subprocess.run(["docker", "pull", "-q", reference], check=True, capture_output=True)
    folders = [table["input_path"]["flags"][0], "/in", table["output_path"]["flags"][0], "/out"]
    run = subprocess.run(
        [
            *("docker", "run", "--rm", "--network", "none", "-v", f"{inputs}:/in:ro"),
            *(reference, *folders, *case.arguments),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    subprocess.run(["docker", "rmi", "-f", reference], capture_output=True)
    assert run.returncode == 0, (style, run.stderr)
    assert json.loads(run.stdout.strip().splitlines()[-1]) == case.printed, (style, run.stdout)
