"""Starting a publication without a Docker engine: choices, mlreef.yml, rights, API, wizard,
publish on push, version numbers. Its build is tests/test_publishing_builds.py (sharing the
fixtures here); tests/test_publishing_e2e.py uses the real engine, registry and Celery worker.
"""

from __future__ import annotations

import pytest
import yaml

from modules.file_templates import TEMPLATES
from publishing import config, services
from publishing.models import BaseEnvironment, Publication
from tests.fakes import FakeBuilder, FakeRegistry

pytestmark = pytest.mark.django_db

TRAIN = TEMPLATES["model"].render()


@pytest.fixture(autouse=True)
def fake_builder(settings):
    settings.IMAGE_BUILDER = "tests.fakes.FakeBuilder"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REGISTRY_BACKEND = "tests.fakes.FakeRegistry"
    FakeBuilder.reset()
    FakeRegistry.reset()
    yield FakeBuilder


@pytest.fixture(autouse=True)
def no_queue(monkeypatch):
    """Record what would be queued; tests run the task body themselves."""
    queued = []
    monkeypatch.setattr(services.starting, "_enqueue", queued.append)
    return queued


@pytest.fixture
def environment():
    return BaseEnvironment.objects.create(
        name="python-3.11", image="mlreef/python:3.11", python_version="3.11", description="CPU"
    )


@pytest.fixture
def module(public_module):
    public_module.repository.commit_files(
        "master",
        {"train.py": TRAIN.encode(), "requirements.txt": b"six==1.16.0\n", "README.md": b"# Net\n"},
        "Add code",
        "Olivia",
        "o@example.com",
    )
    return public_module


def start(module, user, **changes):
    choices = {
        "ref": "master",
        "entrypoint": "train.py",
        "base_environment": "python-3.11",
        **changes,
    }
    request = services.PublishRequest(**choices)
    return services.start_publication(module, user, request)


def log_text(publication) -> str:
    return "\n".join(publication.lines.values_list("text", flat=True))


def test_it_writes_mlreef_yml_once_authored_by_the_publisher(
    module, people, environment, django_capture_on_commit_callbacks, no_queue
):
    with django_capture_on_commit_callbacks(execute=True):
        first = start(module, people.writer, hidden_parameters=["learning_rate"])
    head = module.repository.commit_info("master")
    assert first.commit_sha == head.sha and head.author_name == "walter"
    document = yaml.safe_load(module.repository.read_file("master", "mlreef.yml"))
    assert document["module"]["kind"] == "model"
    assert document["entrypoints"]["training"]["path"] == "train.py"
    visible = {p["name"]: p["visible"] for p in document["entrypoints"]["training"]["parameters"]}
    assert visible == {
        "input_path": True,
        "output_path": True,
        "epochs": True,
        "learning_rate": False,
    }
    assert document["base_environment"]["image"] == "mlreef/python:3.11"
    assert document["image"] == "registry.test/olivia/public-net"
    assert [s["stage"] for s in document["pipeline"]] == ["clone", "parse", "build", "push"]
    assert no_queue == [first.pk]

    second = start(module, people.owner, hidden_parameters=["learning_rate"])
    assert second.version == 2 and second.commit_sha == first.commit_sha  # identical: no commit
    assert len(module.repository.commits("master")) == 2


def test_the_wizard_starts_from_an_existing_mlreef_yml(module, people, environment, client):
    start(module, people.owner, hidden_parameters=["epochs"], requirements_path="requirements.txt")
    client.force_login(people.owner)
    page = client.get(module.get_absolute_url() + "publish/?step=source")
    state = page.context["state"]
    assert state["from_config"] and state["entrypoint"] == "train.py"
    assert state["hidden_parameters"] == ["epochs"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base_environment": "nope"}, "Unknown base environment"),
        ({"ref": "no-such-branch"}, "No branch or commit"),
        ({"entrypoint": "missing.py"}, "does not exist"),
        ({"entrypoint": "README.md"}, "must be a .py file"),
        ({"entrypoint": "../etc/passwd.py"}, "'..'"),
        ({"requirements_path": "/etc/passwd"}, "absolute"),
    ],
)
def test_it_refuses_bad_choices_with_the_reason(
    module, people, environment, client, changes, message
):
    client.force_login(people.owner)
    body = {"entrypoint": "train.py", "base_environment": "python-3.11", **changes}
    response = client.post(
        f"/api/v1/modules/{module.full_name}/publications/", body, content_type="application/json"
    )
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not Publication.objects.exists()


def test_it_refuses_to_publish_an_empty_module(public_module, people, environment, client):
    client.force_login(people.owner)
    response = client.post(
        f"/api/v1/modules/{public_module.full_name}/publications/",
        {"entrypoint": "train.py", "base_environment": "python-3.11"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "no code yet" in response.json()["detail"]


def test_the_api_starts_reads_lists_and_cancels(module, people, environment, client):
    client.force_login(people.writer)
    base = f"/api/v1/modules/{module.full_name}/publications/"
    started = client.post(
        base,
        {"entrypoint": "train.py", "base_environment": "python-3.11"},
        content_type="application/json",
    )
    assert started.status_code == 202
    body = started.json()
    assert body["version"] == 1 and body["status"] == "queued" and body["id"]
    assert client.get(f"{base}1/").json()["status"] == "queued"
    assert client.get(base).json()[0]["version"] == 1
    log = client.get(f"{base}1/log/?offset=0").json()
    assert log[0]["number"] == 1 and "Queued version 1" in log[0]["text"]
    assert client.get(f"{base}1/log/?offset=1").json() == []
    assert client.get(f"{base}1/log/?offset=x").status_code == 400
    cancelled = client.post(f"{base}1/cancel/")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"{base}1/cancel/").status_code == 400
    assert client.get("/api/v1/base-environments/").json()[0]["name"] == "python-3.11"
    schema = client.get("/api/v1/schema/?format=json").json()["paths"]
    assert "/api/v1/modules/{namespace}/{slug}/publications/{version}/cancel/" in schema


@pytest.mark.parametrize(
    ("who", "status"), [("reader", 403), ("outsider", 403), ("anonymous", 401)]
)
def test_only_writers_may_publish(module, people, environment, client, who, status):
    if who != "anonymous":
        client.force_login(getattr(people, who))
    response = client.post(
        f"/api/v1/modules/{module.full_name}/publications/",
        {"entrypoint": "train.py", "base_environment": "python-3.11"},
        content_type="application/json",
    )
    assert response.status_code == status


def test_version_numbers_are_never_reused_after_delete_and_recreate(module, people, environment):
    from modules import services as module_services
    from tests.conftest import make_module

    services.run_publication(start(module, people.owner).pk)
    services.run_publication(start(module, people.owner).pk)
    module_services.delete_module(module)
    again = make_module(people, "public-net", "public")
    again.repository.commit_files(
        "master", {"train.py": TRAIN.encode(), "requirements.txt": b""}, "c", "O", "o@x.io"
    )
    assert start(again, people.owner).version == 3


def test_publish_on_push_needs_opt_in_and_mlreef_yml(module, people, environment, no_queue):
    from modules.models import Module
    from modules.signals import push_received

    def push() -> None:
        push_received.send(
            sender=Module,
            module=module,
            user=people.owner,
            changes={"master": ("a" * 40, module.repository.resolve("master"))},
        )

    push()
    assert not Publication.objects.exists()  # not opted in
    module.publish_on_push = True
    module.publish_branch = "master"
    module.save()
    push()
    assert not Publication.objects.exists()  # no mlreef.yml yet
    start(module, people.owner)  # writes mlreef.yml
    push()
    latest = Publication.objects.order_by("-version").first()
    assert latest.version == 2 and latest.published_by is None


def test_config_round_trip(module, environment):
    choices = config.PublishChoices(
        entrypoint="train.py",
        requirements_path="req/base.txt",
        inference_entrypoint="serve.py",
        parameters_file="p.yml",
        base_environment="python-3.11",
        hidden_parameters=["lr"],
    )
    text = config.render(
        module, choices, [{"name": "lr", "flags": ["--lr"]}], [], environment, "registry/x"
    )
    assert config.parse(text) == choices
    with pytest.raises(config.ConfigError):
        config.parse("entrypoints: [")
    with pytest.raises(config.ConfigError):
        config.parse("version: 1\n")


def test_the_wizard_walks_four_steps_to_a_queued_publication(module, people, environment, client):
    client.force_login(people.writer)
    url = module.get_absolute_url() + "publish/"
    page = client.get(url + "?step=source")
    assert page.status_code == 200 and "train.py" in page.context["python_files"]
    bad = client.post(
        url + "?step=source",
        {"ref": "master", "entrypoint": "nope.py", "requirements_path": "requirements.txt"},
    )
    assert bad.status_code == 400 and b"does not exist" in bad.content
    response = client.post(
        url + "?step=source",
        {"ref": "master", "entrypoint": "train.py", "requirements_path": "requirements.txt"},
    )
    assert response["Location"].endswith("?step=parameters")
    params = client.get(url + "?step=parameters")
    assert [p["name"] for p in params.context["result"]["parameters"]] == [
        "input_path",
        "output_path",
        "epochs",
        "learning_rate",
    ]
    client.post(
        url + "?step=parameters", {"name": ["epochs", "learning_rate"], "visible": ["epochs"]}
    )
    client.post(url + "?step=environment", {"base_environment": "python-3.11"})
    review = client.get(url + "?step=review")
    assert b"learning_rate" in review.content and b"python-3.11" in review.content
    started = client.post(url + "?step=review")
    publication = Publication.objects.get()
    assert started["Location"] == publication.get_absolute_url()
    assert publication.parameter_visibility == {"learning_rate": False}
    assert client.get(publication.get_absolute_url()).status_code == 200
    assert b"v1" in client.get(module.get_absolute_url() + "publications/").content


def test_the_wizard_shows_a_script_that_would_fail(module, people, environment, client):
    module.repository.commit_files("master", {"bad.py": b"import argparse\n"}, "x", "O", "o@x")
    client.force_login(people.owner)
    url = module.get_absolute_url() + "publish/"
    client.post(
        url + "?step=source",
        {"ref": "master", "entrypoint": "bad.py", "requirements_path": "requirements.txt"},
    )
    page = client.get(url + "?step=parameters")
    assert b"does not declare --input-path and --output-path" in page.content


def test_nul_bytes_in_urls_are_refused(client, module):
    assert client.get("/api/v1/modules/", {"q": "a\x00b"}).status_code == 400
    assert client.get("/olivia/pub%00lic/").status_code == 400


def test_a_branch_moving_during_start_is_a_clear_error(module, people, environment, monkeypatch):
    from modules.repository import CommitConflict

    def moved(*args, **kwargs):
        raise CommitConflict("Branch 'master' moved on; try again.")

    monkeypatch.setattr(type(module.repository), "commit_files", moved)
    with pytest.raises(services.PublishError, match="moved on"):
        start(module, people.owner)
    assert not Publication.objects.exists()


def test_version_page_shows_pull_and_for_private_modules_login(
    client, people, private_module, environment
):
    private_module.repository.commit_files(
        "master", {"train.py": TRAIN.encode(), "requirements.txt": b""}, "c", "O", "o@x.io"
    )
    publication = start(private_module, people.owner)
    services.run_publication(publication.pk)
    client.force_login(people.reader)
    page = client.get(publication.get_absolute_url()).content.decode()
    assert "docker pull registry.test/olivia/secret-net:1" in page
    assert "docker login registry.test" in page
