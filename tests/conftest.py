from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connections

from accounts.models import User
from modules import services
from tests.helpers import (
    GIT,
    GitClient,
    RegistryServer,
    database_url,
    start_gunicorn,
    start_registry,
)

# Fixtures shared by the builder tests: a package index in a folder, a listening socket.
pytest_plugins = ["tests.package_index"]

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(scope="session")
def hub(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real gunicorn serving the platform against the test database."""
    with django_db_blocker.unblock():
        db = dict(connections["default"].settings_dict)
    server = start_gunicorn(db, tmp_path_factory.mktemp("hub") / "gunicorn.log")
    yield server
    server.stop()
    with django_db_blocker.unblock():
        wait_for_other_sessions_to_close(connections["default"])


def wait_for_other_sessions_to_close(connection, timeout: float = 10) -> None:
    """PostgreSQL ends a dead client's session a moment later; the test database is dropped
    next, which fails while any session remains."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters and remembered credentials live in the shared cache: start empty."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def git_client(tmp_path) -> GitClient:
    if GIT is None:
        pytest.skip("git is not installed")
    return GitClient(home=tmp_path / "git-home")


@functools.cache
def password_hash() -> str:
    # Hashing is deliberately slow; hash the shared test password once per run.
    return make_password(PASSWORD)


def make_user(username: str) -> User:
    user = User(username=username, email=f"{username}@example.com", password=password_hash())
    user.save()
    return user


@pytest.fixture
def people(db):
    """Owner, write collaborator, read collaborator and outsider: every access case is one line."""

    class People:
        owner = make_user("olivia")
        writer = make_user("walter")
        reader = make_user("rita")
        outsider = make_user("oscar")

    return People


def make_module(people, slug: str, visibility: str):
    module = services.create_module(
        people.owner,
        name=slug.title(),
        slug=slug,
        description=f"The {slug} module",
        kind="model",
        data_types=["image"],
        visibility=visibility,
    )
    services.set_collaborator(module, people.writer.username, "write")
    services.set_collaborator(module, people.reader.username, "read")
    return module


@pytest.fixture
def public_module(people):
    return make_module(people, "public-net", "public")


@pytest.fixture
def private_module(people):
    return make_module(people, "secret-net", "private")


BASE_IMAGE = "mlreef/python:3.11"


@pytest.fixture(scope="session")
def docker_engine():
    """The real Docker engine, with the locally built base image (no image can be pulled)."""
    from django.conf import settings

    try:
        import docker

        client = docker.APIClient(base_url=settings.DOCKER_HOST, timeout=120)
        client.ping()
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"no Docker engine at {settings.DOCKER_HOST}: {error}")
    if not client.images(name=BASE_IMAGE):
        pytest.skip(f"base image {BASE_IMAGE} missing: .ci/run imports it from debootstrap")
    return client


@pytest.fixture(scope="session")
def registry_server(tmp_path_factory) -> RegistryServer:
    """A real CNCF distribution registry (Debian's docker-registry) on a free port."""
    if shutil.which("docker-registry") is None:
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")
    server = start_registry(tmp_path_factory.mktemp("registry"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def registry(registry_server) -> str:
    """The test registry's ``host:port``."""
    return registry_server.host


ROOTFS = Path(os.environ.get("MLREEF_TEST_ROOTFS", "/var/cache/mlreef/rootfs-bookworm"))


@pytest.fixture(scope="session")
def registry_base(registry) -> str:
    """The base image ``mlreef/python:3.11`` in the test registry, written from the debootstrap
    root file system by the daemonless path (``manage.py base_environment --rootfs``)."""
    from publishing.builders.daemonless.base_image import import_rootfs
    from publishing.oci.client import RegistryClient

    if not (ROOTFS / "usr" / "bin" / "python3").exists():
        pytest.skip(f"no root file system with Python at {ROOTFS} (.ci/run makes it)")
    client = RegistryClient(registry)
    try:
        return import_rootfs(ROOTFS, BASE_IMAGE, client, lambda *args, **kwargs: None)
    finally:
        client.close()


@pytest.fixture
def hub_base(registry, registry_base, db) -> str:
    """The base image ``mlreef/python:3.11`` in the hub's built-in registry: the public module
    ``python`` of user ``mlreef``, filled from the test distribution registry (which the
    daemonless path wrote). Rows go with each test's database; blobs stay in the store."""
    import json

    from modules.models import Module
    from publishing.oci.client import RegistryClient
    from registry import services as registry_services
    from registry.storage import blob_store

    owner = User.objects.filter(username="mlreef").first() or make_user("mlreef")
    module = Module.objects.filter(owner=owner, slug="python").first() or services.create_module(
        owner, name="Python", slug="python", kind="model", data_types=["any"], visibility="public"
    )
    repository = registry_services.repository_for(module)
    name = BASE_IMAGE.split(":")[0]
    client = RegistryClient(registry)
    try:
        body, media_type, digest = client.get_manifest(name, BASE_IMAGE.split(":")[1])
        document = json.loads(body)
        for blob in [document["config"], *document["layers"]]:
            if blob_store().exists(blob["digest"]):
                registry_services.link_blob(repository, blob["digest"], blob["size"])
                continue
            with client.open_blob(name, blob["digest"]) as response:
                registry_services.ingest_blob(
                    repository, response.raw, blob["digest"], blob["size"]
                )
    finally:
        client.close()
    registry_services.put_manifest(repository, BASE_IMAGE.split(":")[1], body, media_type)
    return digest


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, hub, tmp_path_factory):
    """A real Celery worker process on the test database, pushing to the hub's own registry."""
    from django.conf import settings

    with django_db_blocker.unblock():
        db = dict(connections["default"].settings_dict)
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(db),
        "DATA_DIR": str(settings.DATA_DIR),
        "REGISTRY_URL": "",
        "PUBLIC_URL": hub.url,
        "PUBLISH_PUSH_RETRIES": "2",
        # The default (daemonless) builder needs no engine: prove it by pointing nowhere.
        "IMAGE_BUILDER": "auto",
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
    }
    log = open(log_path, "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mlreef",
            "worker",
            "--purge",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--hostname",
            f"tests-{os.getpid()}@%h",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("celery worker did not start:\n" + log_path.read_text())
        time.sleep(0.2)
    yield process
    process.terminate()
    process.wait(timeout=30)
    with django_db_blocker.unblock():
        wait_for_other_sessions_to_close(connections["default"])


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path
