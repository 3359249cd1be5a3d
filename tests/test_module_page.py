"""The module page after publishing: latest version, usage block, parameter table; the same on
each version page; the versions list; README rendering in the file view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import BaseEnvironment, Publication
from publishing.usage import usage_for

pytestmark = pytest.mark.django_db


def parameter(name, flags, default=None, **extra):
    return {
        "name": name,
        "flags": flags,
        "action": extra.pop("action", "store"),
        "type": extra.pop("type", None),
        "nargs": extra.pop("nargs", None),
        "default": default,
        "required": extra.pop("required", False),
        "choices": extra.pop("choices", None),
        "help": extra.pop("help", None),
        "visible": extra.pop("visible", True),
    }


PARAMETERS = [
    parameter("input_path", ["--input-path"], required=True, help="Input folder"),
    parameter("output_path", ["--output-path"], required=True, visible=False),
    parameter("epochs", ["-e", "--epochs"], 10, type="int", help="Training epochs"),
    parameter("mode", ["--mode"], "fast", choices=["fast", "exact"]),
    parameter("secret_knob", ["--secret-knob"], 0.5, type="float", visible=False),
    parameter("verbose", ["--verbose"], False, action="store_true", type="bool", nargs=0),
    parameter("sizes", ["--sizes"], [32, 64], type="int", nargs="+"),
    parameter("label", ["--label"], "a b"),
    parameter("seed", ["--seed"], required=True, type="int"),
    parameter("note", ["--note"]),
]


def publish(module, version=1, status="published", parameters=PARAMETERS, **fields):
    environment, _ = BaseEnvironment.objects.get_or_create(
        name="python-3-11", defaults={"image": "mlreef/python:3.11", "python_version": "3.11"}
    )
    now = timezone.now()
    return Publication.objects.create(
        module=module,
        version=version,
        branch="master",
        commit_sha="c" * 40,
        entrypoint="train.py",
        base_environment=environment,
        builder="DockerBuilder",
        status=status,
        parameters=parameters,
        image_reference=f"registry.example.com:5000/{module.full_name}:{version}",
        image_digest="sha256:" + "ab" * 32 if status == "published" else "",
        started_at=now - timedelta(seconds=125),
        finished_at=now,
        **fields,
    )


def add_code(module):
    module.repository.commit_files(
        "master",
        {
            "train.py": b"import argparse\n",
            "README.md": b"# Net\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        },
        "Add",
        "Olivia",
        "o@example.com",
    )


def test_it_builds_the_run_command_from_the_shown_parameters(public_module):
    usage = usage_for(publish(public_module))
    image = f"registry.example.com:5000/{public_module.full_name}:1"
    assert usage.pull == f"docker pull {image}" and usage.login == ""
    assert usage.run_lines == [
        "docker run --rm --network none",
        '-v "$PWD/input:/data/input:ro"',
        '-v "$PWD/output:/data/output"',
        image,
        "--input-path /data/input",
        "--output-path /data/output",  # a platform flag: shown even when marked hidden
        "--epochs 10",
        "--mode fast",
        "--sizes 32 64",
        "--label 'a b'",
        "--seed <seed>",
    ]
    assert "secret" not in usage.text and "--verbose" not in usage.text
    assert usage.inference == ""  # no inference entry point was chosen


def test_it_shows_how_to_run_the_inference_entry_point(public_module):
    publication = publish(public_module)
    publication.inference_entrypoint = "serve/infer.py"
    usage = usage_for(publication)
    image = f"registry.example.com:5000/{public_module.full_name}:1"
    assert usage.inference_lines[0] == "docker run --rm --network none"
    assert usage.inference_lines[-2:] == [f"--entrypoint python {image}", "/app/serve/infer.py"]
    assert usage.text.endswith("/app/serve/infer.py")


def test_private_modules_get_the_login_line(private_module):
    usage = usage_for(publish(private_module))
    assert usage.login == "docker login registry.example.com:5000"
    assert usage.text.splitlines()[0] == usage.login


def test_versions_without_an_image_have_no_usage(public_module):
    assert usage_for(publish(public_module, status="failed")) is None
    assert usage_for(publish(public_module, version=2, status="building")) is None


def test_the_module_page_shows_the_latest_version_usage_and_parameters(client, public_module):
    add_code(public_module)
    publish(public_module, version=1)
    publish(public_module, version=2, parameters=PARAMETERS[:3])
    publish(public_module, version=3, status="failed", failure_reason="pip failed")
    page = client.get(f"/{public_module.full_name}/").content.decode()
    assert "v2 · published" in page and "v3 · failed" in page
    assert f"docker pull registry.example.com:5000/{public_module.full_name}:2" in page
    assert "docker login" not in page
    table = page[page.index('data-testid="parameter-table"') :]
    assert "--epochs" in table and "Training epochs" in table
    assert "--mode" not in table  # only in version 1
    assert "Net</h1>" in page  # the README still renders below


def test_hidden_parameters_are_in_neither_the_table_nor_the_command(client, public_module):
    add_code(public_module)
    publish(public_module)
    page = client.get(f"/{public_module.full_name}/").content.decode()
    assert "--mode" in page and "<code>fast</code>, <code>exact</code>" in page
    assert "secret_knob" not in page and "--secret-knob" not in page
    assert "--output-path /data/output" in page


def test_a_module_without_versions_shows_no_usage(client, public_module):
    add_code(public_module)
    page = client.get(f"/{public_module.full_name}/").content.decode()
    assert 'data-testid="usage"' not in page and 'data-testid="latest-version"' not in page


def test_each_version_page_shows_its_own_usage(client, private_module, people):
    add_code(private_module)
    publish(private_module, version=1)
    publish(private_module, version=2, parameters=PARAMETERS[:3])
    client.force_login(people.reader)
    page = client.get(f"/{private_module.full_name}/publications/1/").content.decode()
    assert f"docker pull registry.example.com:5000/{private_module.full_name}:1" in page
    assert "docker login registry.example.com:5000" in page and "--mode fast" in page
    assert "built with the Docker engine" in page and "took" in page and "2 min 5 s" in page


def test_the_versions_list_shows_images_only_for_pushed_versions(client, public_module):
    add_code(public_module)
    publish(public_module, version=1)
    publish(public_module, version=2, status="failed", failure_reason="pip failed: no such pkg")
    publish(public_module, version=3, status="cancelled")
    page = client.get(f"/{public_module.full_name}/publications/").content.decode()
    assert f"{public_module.full_name}:1</code>" in page
    assert f"{public_module.full_name}:2" not in page and f"{public_module.full_name}:3" not in page
    assert "pip failed: no such pkg" in page and "Cancelled" in page


def test_the_cancel_button_asks_first(client, public_module, people):
    add_code(public_module)
    publish(public_module, status="building")
    client.force_login(people.owner)
    page = client.get(f"/{public_module.full_name}/publications/1/").content.decode()
    assert 'id="cancel-form" data-confirm="Cancel the build of version 1?' in page


def test_readme_in_the_file_view_is_rendered_with_a_source_toggle(client, public_module):
    add_code(public_module)
    url = f"/{public_module.full_name}/blob/?ref=master&path=README.md"
    rendered = client.get(url).content.decode()
    assert "<h1>Net</h1>" in rendered and "<table>" in rendered and "view=source" in rendered
    source = client.get(url + "&view=source").content.decode()
    assert "<h1>Net</h1>" not in source and "# Net" in source


def test_the_wizard_explains_shown_and_keeps_the_platform_flags(client, public_module, people):
    public_module.repository.commit_files(
        "master",
        {
            "train.py": b"import argparse\np = argparse.ArgumentParser()\n"
            b'p.add_argument("--input-path")\np.add_argument("--output-path")\n'
            b'p.add_argument("--epochs", type=int, default=3)\n'
        },
        "Add",
        "Olivia",
        "o@example.com",
    )
    client.force_login(people.owner)
    client.post(
        f"/{public_module.full_name}/publish/",
        {"ref": "master", "entrypoint": "train.py", "requirements_path": "train.py"},
    )
    page = client.get(f"/{public_module.full_name}/publish/?step=parameters").content.decode()
    assert "<strong>Shown</strong> parameters are listed on the module page" in page
    assert page.count("checked disabled") == 2
    response = client.post(
        f"/{public_module.full_name}/publish/?step=parameters",
        {"name": ["input_path", "output_path", "epochs"], "visible": ["input_path", "output_path"]},
    )
    assert response.status_code == 302
    state = client.session[f"publish-wizard-{public_module.pk}"]
    assert state["hidden_parameters"] == ["epochs"]
