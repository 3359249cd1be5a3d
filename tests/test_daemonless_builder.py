"""The daemonless builder: no Docker engine, wheels only, reproducible images, a real registry.

Builds run in this process (``services.run_publication``) against Debian's docker-registry with
``DOCKER_HOST`` pointing nowhere. Package indexes are local folders built here, except one small
real download (``six``) through the machine's proxy.
"""

from __future__ import annotations

import json
import os
import tarfile
import uuid
from datetime import UTC

import pytest

from modules.file_templates import TEMPLATES
from publishing import services
from publishing.builders.daemonless import dependencies
from publishing.logs import PublicationLog
from publishing.models import BaseEnvironment, Publication, Status
from publishing.oci.client import RegistryClient
from publishing.oci.layers import write_layer
from tests.conftest import BASE_IMAGE
from tests.helpers import start_registry

pytestmark = pytest.mark.django_db

TRAIN = TEMPLATES["model"].render()


# -- reproducible layers ------------------------------------------------------------------------
def test_it_writes_the_same_layer_bytes_from_the_same_files(tmp_path):
    digests = []
    for attempt, umask in enumerate((0o022, 0o077)):
        folder = tmp_path / f"tree{attempt}"
        old = os.umask(umask)
        try:
            (folder / "pkg" / "__pycache__").mkdir(parents=True)
            (folder / "pkg" / "mod.py").write_text("x = 1\n")
            (folder / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(os.urandom(8))
            (folder / "run.sh").write_text("#!/bin/sh\n")
            (folder / "run.sh").chmod(0o700)
            (folder / "link").symlink_to("run.sh")
        finally:
            os.umask(old)
        os.utime(folder / "pkg" / "mod.py", (1e9 + attempt * 1000, 1e9 + attempt * 1000))
        blob = write_layer([(folder, "opt/x")], tmp_path / f"layer{attempt}.tar.gz", 1_700_000_000)
        digests.append((blob.digest, blob.diff_id))
        with tarfile.open(blob.path) as tar:
            members = tar.getmembers()
    assert digests[0] == digests[1]
    names = [m.name for m in members]
    assert names == sorted(names) and not any(".pyc" in n or "__pycache__" in n for n in names)
    assert {(m.uid, m.gid, m.uname) for m in members} == {(0, 0, "")}
    modes = {m.name: m.mode for m in members}
    assert modes["opt/x/run.sh"] == 0o755 and modes["opt/x/pkg/mod.py"] == 0o644
    assert {m.mtime for m in members} == {1_700_000_000}
    with open(tmp_path / "layer0.tar.gz", "rb") as raw:
        assert raw.read(10)[4:8] == b"\0\0\0\0"  # gzip header mtime


# -- publishing with the daemonless builder -----------------------------------------------------
@pytest.fixture
def daemonless(settings, registry, registry_base, tmp_path, monkeypatch):
    settings.IMAGE_BUILDER = "auto"
    settings.DOCKER_HOST = "unix:///nonexistent/docker.sock"  # no engine anywhere
    settings.REGISTRY_URL = registry
    settings.BUILD_CACHE_DIR = tmp_path / "cache"
    settings.PUBLISH_PUSH_RETRIES = 1
    monkeypatch.setattr(services.starting, "_enqueue", lambda pk: None)  # run here, not in a worker
    BaseEnvironment.objects.create(name="python-3.11", image=BASE_IMAGE, python_version="3.11")
    return RegistryClient(registry)


@pytest.fixture
def module(public_module):
    """The registry lives for the whole run: each test gets its own image repository."""
    from modules import services as module_services

    return module_services.update_module(public_module, slug=f"net-{uuid.uuid4().hex[:8]}")


def publish(module, ref: str = "master") -> Publication:
    publication = services.start_publication(
        module,
        module.owner,
        services.PublishRequest(
            ref=ref, entrypoint="train.py", base_environment="python-3.11", write_config=False
        ),
    )
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    return publication


def commit(module, files: dict[str, str]) -> str:
    return module.repository.commit_files(
        "master", {k: v.encode() for k, v in files.items()}, "Change", "Olivia", "o@example.com"
    )


def log_text(publication: Publication) -> str:
    return "\n".join(publication.lines.values_list("text", flat=True))


def image(client: RegistryClient, module, digest: str) -> tuple[dict, dict]:
    body, _, _ = client.get_manifest(module.full_name, digest)
    manifest = json.loads(body)
    config = json.loads(client.read_blob(module.full_name, manifest["config"]["digest"]))
    return manifest, config


def test_it_publishes_reproducibly_and_reuses_the_dependency_layer(
    daemonless, module, settings, tmp_path
):
    client = daemonless
    commit(module, {"train.py": TRAIN, "requirements.txt": "six==1.16.0\n"})
    first = publish(module)
    assert first.status == Status.PUBLISHED, log_text(first)
    assert first.builder == "DaemonlessBuilder"
    log = log_text(first)
    assert "pip install --only-binary=:all:" in log and "Successfully installed six" in log
    manifest, config = image(client, module, first.image_digest)
    assert client.manifest_digest(module.full_name, "1") == first.image_digest
    base_manifest = json.loads(client.get_manifest("mlreef/python", "3.11")[0])
    assert manifest["layers"][:-2] == base_manifest["layers"]
    labels = config["config"]["Labels"]
    assert labels["org.opencontainers.image.revision"] == first.commit_sha
    assert "org.opencontainers.image.version" not in labels
    assert config["config"]["Entrypoint"] == ["python", "/app/train.py"]
    assert config["config"]["WorkingDir"] == "/app"
    assert "PYTHONPATH=/opt/mlreef/deps" in config["config"]["Env"]
    commit_time = module.repository.commit_info(first.commit_sha).authored_at.astimezone(UTC)
    assert config["created"] == commit_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [h["comment"] for h in config["history"][-3:]] == [
        "mlreef: dependencies",
        "mlreef: code",
        "mlreef: configuration",
    ]
    assert len(config["rootfs"]["diff_ids"]) == len(manifest["layers"])

    # Another worker with an empty cache makes the very same image.
    settings.BUILD_CACHE_DIR = tmp_path / "other-cache"
    second = publish(module)
    assert second.status == Status.PUBLISHED, log_text(second)
    assert second.image_digest == first.image_digest
    assert "Successfully installed six" in log_text(second)

    # A warm cache runs no pip and uploads nothing.
    third = publish(module)
    third_log = log_text(third)
    assert third.image_digest == first.image_digest
    assert "reused from the cache (pip not run)" in third_log
    assert "pip install --only-binary" not in third_log
    assert "Uploading" not in third_log

    # A one-line code change changes the code layer only.
    commit(module, {"train.py": TRAIN + "\n# tweak\n"})
    fourth = publish(module)
    assert fourth.status == Status.PUBLISHED, log_text(fourth)
    changed, _ = image(client, module, fourth.image_digest)
    assert changed["layers"][:-1] == manifest["layers"][:-1]
    assert changed["layers"][-1] != manifest["layers"][-1]
    uploads = [line for line in log_text(fourth).splitlines() if line.startswith("Uploading")]
    assert len(uploads) == 2  # the code layer and the config


@pytest.mark.parametrize(
    ("requirement", "reason"),
    [
        ("phonehome==1.0", "only as a source distribution (sdist)"),
        ("oldpython==1.0", "has no wheel for CPython 3.11"),
        ("no-such-thing==1.0", "does not exist on the package index"),
    ],
    ids=["sdist-only", "no-wheel-for-this-python", "nonexistent"],
)
def test_a_requirement_without_a_fitting_wheel_is_a_user_error(
    daemonless, module, settings, local_index, listener, requirement, reason
):
    settings.BUILD_PIP_INDEX_URL = local_index
    commit(module, {"train.py": TRAIN, "requirements.txt": f"tinypure\n{requirement}\n"})
    publication = publish(module)
    assert publication.status == Status.FAILED and publication.failure_kind == "user"
    assert reason in publication.failure_reason
    assert requirement.split("==")[0] in publication.failure_reason
    assert daemonless.tags(module.full_name) == []
    with pytest.raises(BlockingIOError):
        listener.accept()  # the sdist's setup.py never ran, so it never connected


def test_an_unreachable_base_image_is_a_platform_error(daemonless, module):
    from tests.helpers import free_port

    BaseEnvironment.objects.filter(name="python-3.11").update(
        image=f"127.0.0.1:{free_port()}/elsewhere/python:3.11"
    )
    commit(module, {"train.py": TRAIN, "requirements.txt": ""})
    publication = publish(module)
    assert publication.status == Status.FAILED and publication.failure_kind == "platform"
    assert "base image" in publication.failure_reason
    assert "not reachable" in publication.failure_reason


def test_a_registry_refusing_the_push_fails_the_publication(
    daemonless, module, settings, registry_server, tmp_path
):
    read_only = start_registry(tmp_path, storage=registry_server.storage, read_only=True)
    try:
        settings.REGISTRY_URL = read_only.host
        commit(module, {"train.py": TRAIN, "requirements.txt": ""})
        publication = publish(module)
    finally:
        read_only.stop()
    assert publication.status == Status.FAILED and publication.failure_kind == "platform"
    assert "Could not push" in publication.failure_reason
    assert daemonless.tags(module.full_name) == []


def test_cancelling_during_the_upload_leaves_no_tag_and_no_manifest(
    daemonless, module, monkeypatch
):
    commit(module, {"train.py": TRAIN, "requirements.txt": ""})
    module.repository.commit_files(
        "master", {"weights.bin": os.urandom(24 * 1024 * 1024)}, "Weights", "O", "o@example.com"
    )
    write = PublicationLog.write

    def cancel_when_uploading(self, text, important=False):
        if text.startswith("Uploading"):
            Publication.objects.filter(pk=self.publication.pk).update(cancel_requested=True)
            self._last_check = 0.0  # the next write checks at once
        return write(self, text, important)

    monkeypatch.setattr(PublicationLog, "write", cancel_when_uploading)
    publication = publish(module)
    assert publication.status == Status.CANCELLED, log_text(publication)
    assert daemonless.tags(module.full_name) == []
    assert not publication.image_digest


def test_the_dependency_cache_key_covers_what_decides_the_layer(settings):
    target = dependencies.Target("3.11", "amd64")
    key = dependencies.cache_key(b"six\n", "sha256:aa", target)
    assert key == dependencies.cache_key(b"six\n", "sha256:aa", target)
    assert key != dependencies.cache_key(b"six==1\n", "sha256:aa", target)
    assert key != dependencies.cache_key(b"six\n", "sha256:bb", target)
    assert key != dependencies.cache_key(
        b"six\n", "sha256:aa", dependencies.Target("3.12", "amd64")
    )
    assert key != dependencies.cache_key(
        b"six\n", "sha256:aa", dependencies.Target("3.11", "arm64")
    )
    settings.BUILD_PIP_INDEX_URL = "https://index.example.com/simple"
    assert key != dependencies.cache_key(b"six\n", "sha256:aa", target)


def test_a_base_from_another_registry_is_copied_in_once(daemonless, module, tmp_path):
    """A second local registry stands in for a remote one such as Docker Hub."""
    hub_registry = daemonless
    remote = start_registry(tmp_path)
    try:
        remote_client = RegistryClient(remote.host)
        body, media_type, _ = hub_registry.get_manifest("mlreef/python", "3.11")
        manifest = json.loads(body)
        for descriptor in [manifest["config"], *manifest["layers"]]:
            with hub_registry.open_blob("mlreef/python", descriptor["digest"]) as response:
                remote_client.upload_blob(
                    "remote/pybase",
                    descriptor["digest"],
                    response.iter_content(1024 * 1024),
                    descriptor["size"],
                )
        remote_client.put_manifest("remote/pybase", "1", body, media_type)
        BaseEnvironment.objects.filter(name="python-3.11").update(
            image=f"{remote.host}/remote/pybase:1"
        )
        commit(module, {"train.py": TRAIN, "requirements.txt": ""})
        first = publish(module)
        assert first.status == Status.PUBLISHED, log_text(first)
        assert "Copying the base image" in log_text(first)
        assert hub_registry.manifest_digest("remote/pybase", "1")
    finally:
        remote.stop()
    second = publish(module)  # the remote is gone: the copy in the hub's registry serves
    assert second.status == Status.PUBLISHED, log_text(second)
    assert "Copying the base image" not in log_text(second)
    assert second.image_digest == first.image_digest


def test_builders_are_chosen_by_name_or_dotted_path(settings):
    from publishing.builders import builder_path

    settings.IMAGE_BUILDER = "auto"
    assert builder_path() == "publishing.builders.daemonless.DaemonlessBuilder"
    settings.IMAGE_BUILDER = "docker"
    assert builder_path() == "publishing.builders.docker.DockerBuilder"
    settings.IMAGE_BUILDER = "tests.fakes.FakeBuilder"
    assert builder_path() == "tests.fakes.FakeBuilder"


def test_folders_of_killed_builds_are_swept_at_worker_start(tmp_path, monkeypatch):
    import subprocess
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = tmp_path / f"{services.BUILD_FOLDER_PREFIX}{dead.pid}-abc"
    running = tmp_path / f"{services.BUILD_FOLDER_PREFIX}{os.getpid()}-def"
    for folder in (left, running):
        (folder / "context").mkdir(parents=True)
    assert services.sweep_build_folders() == 1
    assert not left.exists() and running.exists()
