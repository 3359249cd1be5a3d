"""Publishing without a Docker engine: choices, mlreef.yml, the state machine, logs, API, wizard.

The image builder is a fake here; tests/test_publishing_e2e.py uses the real engine, registry
and Celery worker.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import yaml
from django.utils import timezone

from mlreef.streams.links import verify
from modules.file_templates import TEMPLATES
from publishing import config, services
from publishing.builders.daemonless import dependencies
from publishing.logs import PublicationLog, sanitise
from publishing.models import BaseEnvironment, Publication, Status
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


def test_a_run_walks_every_state_and_records_the_image(module, people, environment, fake_builder):
    publication = start(module, people.owner)
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    assert publication.image_reference == "registry.test/olivia/public-net:1"
    assert publication.image_digest == "sha256:" + "ab" * 32
    steps = list(dict.fromkeys(publication.lines.values_list("step", flat=True)))
    assert steps == ["queued", "cloning", "parsing", "building", "pushing", "published"]
    request = fake_builder.requests[0]
    assert len(request.tags) == 1 and request.tags[0].startswith("build-1-")
    assert request.target is not None and request.target.password == "push-secret"
    assert FakeRegistry.tags_by_module[module.full_name] == {
        "1": publication.image_digest,
        "latest": publication.image_digest,
    }
    assert request.labels["org.opencontainers.image.revision"] == publication.commit_sha
    assert "org.opencontainers.image.version" not in request.labels  # the tag says it
    assert json.loads(request.labels["ai.mlreef.parameters"])[0]["name"] == "input_path"
    dockerfile = fake_builder.dockerfiles[0]
    assert dockerfile.index("pip install") < dockerfile.index("COPY code/ /app/")
    assert 'ENTRYPOINT ["python", "/app/train.py"]' in dockerfile
    assert fake_builder.cleaned == [request]
    assert publication.parameters[2]["name"] == "epochs"


def test_only_the_default_branch_gets_latest(module, people, environment, fake_builder):
    module.repository.commit_files(
        "dev", {"train.py": TRAIN.encode(), "requirements.txt": b""}, "dev", "O", "o@x.io"
    )
    publication = start(module, people.owner, ref="dev")
    services.run_publication(publication.pk)
    assert FakeRegistry().tags(module) == ["1"]


def test_no_tag_unless_published_and_the_build_tag_is_discarded(
    module, people, environment, fake_builder
):
    fake_builder.fail_build = "platform"
    failed = start(module, people.owner)
    services.run_publication(failed.pk)
    assert FakeRegistry().tags(module) == []
    assert FakeRegistry.discarded == fake_builder.requests[0].tags

    fake_builder.fail_build = ""
    FakeRegistry.fail_publish = "tag refused"
    refused = start(module, people.owner)
    services.run_publication(refused.pk)
    refused.refresh_from_db()
    assert refused.status == Status.FAILED and "tag refused" in refused.failure_reason
    assert FakeRegistry().tags(module) == []


def test_latest_never_moves_back_to_an_older_version(module, people, environment):
    first, second = start(module, people.owner), start(module, people.owner)
    services.run_publication(second.pk)
    FakeRegistry.tags_by_module[module.full_name]["latest"] = "sha256:second"
    services.run_publication(first.pk)  # finishes last, but is older
    tags = FakeRegistry.tags_by_module[module.full_name]
    assert tags["latest"] == "sha256:second" and set(tags) == {"1", "2", "latest"}


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


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"requirements.txt": None}, "requirements file 'requirements.txt' does not exist"),
        ({"train.py": b"import argparse\np = argparse.ArgumentParser(\n"}, "syntax error"),
        (
            {
                "train.py": b"import argparse\np = argparse.ArgumentParser()\n"
                b"p.add_argument('--output-path')\np.parse_args()\n"
            },
            "does not declare --input-path",
        ),
    ],
)
def test_user_errors_fail_with_the_reason_in_the_log(module, people, environment, files, reason):
    present = {k: v for k, v in files.items() if v is not None}
    if present:
        module.repository.commit_files("master", present, "Break it", "O", "o@x.io")
    if None in files.values():
        module.repository.commit_files("master", {"other.txt": b"x"}, "x", "O", "o@x.io")
        publication = start(module, people.owner, requirements_path="requirements.txt")
        # remove requirements.txt by publishing a revision without it
        sha = _commit_without(module, "requirements.txt")
        Publication.objects.filter(pk=publication.pk).update(commit_sha=sha)
    else:
        publication = start(module, people.owner)
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    assert publication.status == Status.FAILED and publication.failure_kind == "user"
    assert reason in publication.failure_reason and reason in log_text(publication)


def _commit_without(module, path: str) -> str:
    import subprocess

    repo = module.repository_path
    tree = subprocess.run(
        ["git", "--git-dir", str(repo), "ls-tree", "master"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kept = "".join(line + "\n" for line in tree.splitlines() if not line.endswith("\t" + path))
    new_tree = subprocess.run(
        ["git", "--git-dir", str(repo), "mktree"],
        input=kept,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return subprocess.run(
        ["git", "--git-dir", str(repo), "commit-tree", new_tree, "-m", "drop"],
        capture_output=True,
        text=True,
        check=True,
        env={
            "GIT_AUTHOR_NAME": "o",
            "GIT_AUTHOR_EMAIL": "o@x",
            "GIT_COMMITTER_NAME": "o",
            "GIT_COMMITTER_EMAIL": "o@x",
            "PATH": "/usr/bin:/bin",
        },
    ).stdout.strip()


@pytest.mark.parametrize(("mode", "kind"), [("user", "user"), ("platform", "platform")])
def test_build_failures_are_told_apart(module, people, environment, fake_builder, mode, kind):
    fake_builder.fail_build = mode
    publication = start(module, people.owner)
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    assert publication.status == Status.FAILED and publication.failure_kind == kind
    assert fake_builder.cleaned  # local tags are removed whatever happened


def test_a_cancel_stops_a_running_build(module, people, environment, fake_builder, monkeypatch):
    monkeypatch.setattr("publishing.logs.CHECK_INTERVAL", 0)
    publication = start(module, people.owner)
    fake_builder.build_lines = [f"line {i}" for i in range(50)]

    def cancel_at(line):
        if line == "line 3":
            services.cancel_publication(Publication.objects.get(pk=publication.pk))

    fake_builder.on_build_line = cancel_at
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    assert publication.status == Status.CANCELLED
    assert "line 10" not in log_text(publication)


def test_a_queued_cancel_means_the_worker_does_nothing(module, people, environment, fake_builder):
    publication = start(module, people.owner)
    services.cancel_publication(publication)
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    assert publication.status == Status.CANCELLED and not fake_builder.requests


def test_a_publication_whose_worker_died_is_failed_after_the_timeout(
    module, people, environment, settings, client
):
    settings.PUBLISH_HEARTBEAT_TIMEOUT = 60
    publication = start(module, people.owner)
    Publication.objects.filter(pk=publication.pk).update(
        status=Status.BUILDING,
        started_at=timezone.now() - timedelta(seconds=90),
        heartbeat_at=timezone.now() - timedelta(seconds=30),
    )
    assert services.reap_stale_publications() == 0
    Publication.objects.filter(pk=publication.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    client.force_login(people.owner)
    status = client.get(f"/api/v1/modules/{module.full_name}/publications/1/").json()
    assert status["status"] == "failed" and "worker" in status["failure_reason"]


def test_logs_are_sanitised_masked_and_capped(module, people, environment, settings):
    settings.PUBLISH_LOG_LIMIT = 300
    publication = start(module, people.owner)
    log = PublicationLog(publication, secrets=["hunter2"])
    log.write("pip install --index-url https://bob:s3cret@pypi.example/simple")
    log.write("password hunter2 and token mlr_abcdefghijklmnop end\x00")
    log.write("progress 10%\rprogress 100%")
    log.write("x" * 500)
    log.write("must stay", important=True)
    texts = list(publication.lines.values_list("text", flat=True))
    assert "https://****:****@pypi.example/simple" in texts[1]
    assert texts[2] == "password **** and token mlr_**** end"
    assert texts[3] == "progress 100%"
    assert "further build output is not kept" in texts[4] and texts[-1] == "must stay"
    assert sanitise("y" * 5000, []).endswith("(line cut)")


def test_publication_events_redirect_to_a_signed_stream_link(module, people, environment, client):
    publication = start(module, people.owner)
    url = publication.get_absolute_url() + "events/"
    response = client.get(url, headers={"Last-Event-ID": "3"})
    assert response.status_code == 307
    location = urlsplit(response["Location"])
    assert location.port == 8001 and location.query == "after=3"
    token = location.path.split("/")[2]
    assert verify(token, max_age=60) == ("publication", str(publication.pk))
    private = module.__class__.objects.filter(pk=module.pk)
    private.update(visibility="private")
    assert client.get(url).status_code == 404  # access is checked before any link is given


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


def test_symlinks_leaving_the_repository_never_reach_the_image(module, tmp_path):
    import os
    import subprocess

    work = tmp_path / "work"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "o",
        "GIT_AUTHOR_EMAIL": "o@x",
        "GIT_COMMITTER_NAME": "o",
        "GIT_COMMITTER_EMAIL": "o@x",
    }
    subprocess.run(
        ["git", "clone", "-q", str(module.repository_path), str(work)], check=True, env=env
    )
    os.symlink("/etc/passwd", work / "leak")
    os.symlink("../../../../../etc/hostname", work / "climb")
    os.symlink("train.py", work / "alias.py")
    subprocess.run(["git", "add", "-A"], cwd=work, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "links"], cwd=work, check=True, env=env)
    subprocess.run(["git", "push", "-q", "origin", "master"], cwd=work, check=True, env=env)
    target = tmp_path / "export"
    dropped = services.export_commit(module, module.repository.resolve("master"), target)
    assert sorted(dropped) == ["climb", "leak"]
    assert not (target / "leak").exists() and not (target / "climb").is_symlink()
    assert (target / "alias.py").read_text() == TRAIN


def test_the_package_index_settings_reach_pip_and_stay_out_of_the_log(
    module, people, environment, fake_builder, settings
):
    settings.BUILD_PIP_INDEX_URL = "https://bob:s3cret@pypi.internal/simple"
    settings.BUILD_PIP_EXTRA_INDEX_URL = "https://extra.internal/simple"
    ca = settings.DATA_DIR / "corp-ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings.BUILD_CA_BUNDLE = str(ca)
    fake_builder.build_lines = ["Looking in indexes: https://bob:s3cret@pypi.internal/simple"]
    publication = start(module, people.owner)
    services.run_publication(publication.pk)
    request = fake_builder.requests[0]
    # pip runs on the worker with the index settings; nothing of them reaches an image.
    assert request.build_args == {}
    assert "pypi.internal" not in fake_builder.dockerfiles[0]
    assert "PIP_CERT" not in fake_builder.dockerfiles[0]
    environment = dependencies.pip_environment(settings.DATA_DIR)
    assert environment["PIP_INDEX_URL"] == settings.BUILD_PIP_INDEX_URL
    assert environment["PIP_EXTRA_INDEX_URL"] == settings.BUILD_PIP_EXTRA_INDEX_URL
    assert environment["PIP_CERT"] == str(ca)
    assert "s3cret" not in log_text(publication)
    settings.BUILD_CA_BUNDLE = str(settings.DATA_DIR / "missing.crt")
    second = start(module, people.owner)
    services.run_publication(second.pk)
    second.refresh_from_db()
    assert second.failure_kind == "platform" and "BUILD_CA_BUNDLE" in second.failure_reason


def test_the_reaper_is_scheduled_with_celery_beat(settings):
    from mlreef.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    entry = settings.CELERY_BEAT_SCHEDULE["reap-stale-publications"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= settings.PUBLISH_HEARTBEAT_TIMEOUT


def test_an_inference_entry_point_is_labelled(module, people, environment, fake_builder):
    module.repository.commit_files("master", {"serve.py": TRAIN.encode()}, "Add", "O", "o@x")
    publication = start(module, people.owner, inference_entrypoint="serve.py")
    services.run_publication(publication.pk)
    assert fake_builder.requests[0].labels["ai.mlreef.inference_entrypoint"] == "serve.py"
    document = yaml.safe_load(module.repository.read_file("master", "mlreef.yml"))
    assert document["entrypoints"]["inference"]["path"] == "serve.py"


def test_concurrent_log_writers_never_collide(module, people, environment):
    publication = start(module, people.owner)
    worker_log = PublicationLog(publication, check_cancel=False)
    services.cancel_publication(publication)  # another writer appends meanwhile
    worker_log.write("from the worker")
    numbers = list(publication.lines.values_list("number", flat=True))
    assert numbers == [1, 2, 3]
    assert publication.lines.last().text == "from the worker"


def test_nul_bytes_in_urls_are_refused(client, module):
    assert client.get("/api/v1/modules/", {"q": "a\x00b"}).status_code == 400
    assert client.get("/olivia/pub%00lic/").status_code == 400


def test_a_publication_runs_once_even_if_delivered_twice(module, people, environment, fake_builder):
    publication = start(module, people.owner)
    services.run_publication(publication.pk)
    Publication.objects.filter(pk=publication.pk).update(status=Status.QUEUED)  # redelivered
    services.run_publication(publication.pk)
    assert len(fake_builder.requests) == 1


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
