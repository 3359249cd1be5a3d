"""Commits without an expected head land on a branch that moved, unless their files changed."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from modules import services
from modules.repository import CommitConflict, Repository, _GitRunner

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_api_commits_to_different_files_all_land(client, people, public_module):
    public_module.repository.commit_files("master", {"seed.py": b"0"}, "Seed", "O", "o@x")
    url = f"/api/v1/modules/{public_module.full_name}/commits/"
    barrier = threading.Barrier(12)
    statuses = []

    def commit(number: int) -> None:
        from django.test import Client

        own = Client()
        own.force_login(people.writer)
        barrier.wait()
        response = own.post(
            url,
            {"message": f"file {number}", "files": [{"path": f"f{number}.py", "content": "x"}]},
            content_type="application/json",
        )
        statuses.append(response.status_code)
        connections.close_all()

    threads = [threading.Thread(target=commit, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 12, statuses
    files = public_module.repository.list_files("master")
    assert sorted(files) == sorted(["seed.py", *(f"f{n}.py" for n in range(12))])


def race(monkeypatch, repository: Repository, path: str) -> None:
    """Just before our commit moves the branch, someone else commits ``path``."""
    original = _GitRunner.__call__
    done = []

    def call(self, *args, stdin=None):
        if args[0] == "update-ref" and not done:
            done.append(True)
            repository.commit_files("master", {path: b"theirs"}, "Theirs", "T", "t@x")
        return original(self, *args, stdin=stdin)

    monkeypatch.setattr(_GitRunner, "__call__", call)


def test_a_commit_is_rebuilt_on_a_head_that_moved_when_other_files_changed(
    public_module, people, monkeypatch
):
    repository = public_module.repository
    repository.commit_files("master", {"seed.py": b"0"}, "Seed", "O", "o@x")
    race(monkeypatch, repository, "other.py")
    services.commit_files(public_module, people.owner, "master", {"mine.py": b"1"}, "Mine")
    assert sorted(repository.list_files("master")) == ["mine.py", "other.py", "seed.py"]


def test_a_file_changed_meanwhile_is_still_a_conflict(public_module, people, monkeypatch):
    repository = public_module.repository
    repository.commit_files("master", {"seed.py": b"0"}, "Seed", "O", "o@x")
    race(monkeypatch, repository, "mine.py")
    with pytest.raises(CommitConflict, match="mine.py changed"):
        services.commit_files(public_module, people.owner, "master", {"mine.py": b"1"}, "Mine")
    assert repository.read_file("master", "mine.py") == b"theirs"


def test_an_expected_head_that_moved_is_a_conflict(public_module, people, monkeypatch):
    repository = public_module.repository
    head = repository.commit_files("master", {"seed.py": b"0"}, "Seed", "O", "o@x")
    race(monkeypatch, repository, "other.py")
    with pytest.raises(CommitConflict):
        services.commit_files(
            public_module, people.owner, "master", {"mine.py": b"1"}, "Mine", expected_head=head
        )
