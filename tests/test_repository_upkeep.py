"""Repositories do not collect debris: interrupted pushes are swept, loose objects packed."""

from __future__ import annotations

import os
import time

import pytest

from modules import services
from modules.repository import Repository

pytestmark = pytest.mark.django_db


def test_the_sweep_removes_old_quarantine_folders_of_interrupted_pushes(public_module):
    objects = public_module.repository_path / "objects"
    old = objects / "tmp_objdir-incoming-dead01"
    fresh = objects / "tmp_objdir-incoming-live02"
    for folder in (old, fresh):
        (folder / "pack").mkdir(parents=True)
        (folder / "pack" / "tmp_pack_x").write_bytes(b"half a pack")
    day_ago = time.time() - 24 * 3600
    os.utime(old, (day_ago, day_ago))
    assert services.sweep_repositories() == 1
    assert not old.exists() and fresh.exists()  # a push may still be writing that one


def test_commits_through_the_hub_run_gc_auto(public_module, people, monkeypatch):
    calls = []
    monkeypatch.setattr(Repository, "gc_auto", lambda self: calls.append(self.path))
    services.commit_files(public_module, people.owner, "master", {"a.py": b"x = 1\n"}, "Add")
    assert calls == [public_module.repository_path]


def test_gc_auto_packs_a_repository_with_too_many_packs(public_module, people):
    repository = public_module.repository
    repository._git.config("gc.autoPackLimit", "2")
    repository._git.config("gc.autoDetach", "false")
    for number in range(4):
        services.commit_files(
            public_module, people.owner, "master", {f"f{number}.py": b"%d" % number}, "Add"
        )
        if number < 3:
            repository._git.repack("-q")  # one more pack each time: three before the last
    packs = list((public_module.repository_path / "objects" / "pack").glob("*.pack"))
    assert len(packs) == 1


def test_the_sweep_is_scheduled_with_celery_beat(settings):
    from mlreef.celery import app

    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE["sweep-repositories"]["task"] in app.tasks
