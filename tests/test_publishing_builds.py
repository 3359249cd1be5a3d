"""A publication's build without a Docker engine: every state, tags and versions, failures
told apart, cancel, the reaper, logs. The image builder and registry are fakes here;
tests/test_publishing_e2e.py uses the real engine, registry and Celery worker.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import yaml
from django.utils import timezone

from mlreef.streams.links import verify
from publishing import services
from publishing.builders.daemonless import dependencies
from publishing.logs import PublicationLog, sanitise
from publishing.models import Publication, Status
from tests import test_publishing as starting
from tests.fakes import FakeRegistry
from tests.test_publishing import TRAIN, log_text, start

pytestmark = pytest.mark.django_db

# The fixtures of tests/test_publishing.py (pytest finds fixtures by module attribute).
fake_builder = starting.fake_builder
no_queue = starting.no_queue
environment = starting.environment
module = starting.module


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


def test_a_publication_runs_once_even_if_delivered_twice(module, people, environment, fake_builder):
    publication = start(module, people.owner)
    services.run_publication(publication.pk)
    Publication.objects.filter(pk=publication.pk).update(status=Status.QUEUED)  # redelivered
    services.run_publication(publication.pk)
    assert len(fake_builder.requests) == 1
