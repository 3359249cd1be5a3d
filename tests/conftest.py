from __future__ import annotations

import functools
import shutil
import time
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connections

from accounts.models import User
from modules import services
from tests.helpers import GIT, GitClient, start_gunicorn

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(scope="session")
def hub(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real gunicorn serving the platform against the test database."""
    with django_db_blocker.unblock():
        db = dict(connections["default"].settings_dict)
    server = start_gunicorn(db, tmp_path_factory.mktemp("hub") / "gunicorn.log")
    yield server
    server.process.terminate()
    server.process.wait(timeout=20)
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


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path
