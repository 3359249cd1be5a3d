"""Artifact files no run names are freed after the grace period (``manage.py artifacts_gc``);
a file any run names, a young one, or one named while being collected is kept."""

from __future__ import annotations

import io
import os
import time
import uuid

import pytest
from django.core.management import call_command

from modules import services as module_services
from pipelines.models import Artifact, Run, Status
from pipelines.services import artifacts
from pipelines.services.artifacts import ArtifactRefused, collect_garbage, store_artifact
from pipelines.services.common import artifact_store
from tests.test_experiments import dataset, no_queue, publish, start  # noqa: F401 - fixtures

DAY = 24 * 3600


@pytest.fixture(autouse=True)
def own_store(settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"


def stored(content: bytes, age: float = 2 * DAY) -> str:
    """Put ``content`` in the artifact store, its file ``age`` seconds old; its digest."""
    store = artifact_store()
    digest = store.ingest(io.BytesIO(content)).digest
    then = time.time() - age
    os.utime(store.path(digest), (then, then))
    return digest


def name(run: Run, digest: str, size: int | None = None) -> None:
    size = artifact_store().size(digest) if size is None else size
    Artifact.objects.create(run=run, path="out.bin", size=size, digest=digest)


def a_run(people, dataset) -> Run:  # noqa: F811 - a parameter here
    return start(people, dataset, publish(people, slug=f"m-{uuid.uuid4().hex[:6]}"))


def test_it_frees_files_no_artifact_names_once_past_the_grace_period(
    people,
    dataset,  # noqa: F811 - the fixture imported above
):
    named, orphan = stored(b"kept" * 100), stored(b"freed" * 100)
    name(a_run(people, dataset), named)
    report = collect_garbage(DAY)
    assert (report.files, report.freed_bytes) == (1, 500)
    assert artifact_store().exists(named) and not artifact_store().exists(orphan)


def test_it_keeps_a_young_file_an_upload_is_about_to_name(db):
    young = stored(b"just uploaded", age=60)
    assert collect_garbage(DAY).files == 0
    assert artifact_store().exists(young)


def test_it_frees_the_files_of_deleted_runs_once_no_run_names_them(
    people,
    dataset,  # noqa: F811 - the fixture imported above
):
    other = module_services.create_module(
        people.owner, name="Dogs", slug="dogs", kind="dataset", data_types=["image"]
    )
    other.repository.commit_files("master", {"a.txt": b"a\n"}, "Data", "Olivia", "o@x.com")
    digest = stored(b"model weights" * 1000)
    first, cached = a_run(people, dataset), a_run(people, other)
    name(first, digest)
    name(cached, digest)  # a run served from the step cache names the same file
    module_services.delete_module(dataset)  # its runs go with it
    assert not Run.objects.filter(pk=first.pk).exists()
    assert collect_garbage(DAY).files == 0
    module_services.delete_module(other)
    assert collect_garbage(DAY).freed_bytes == 13000
    assert not artifact_store().exists(digest)


def test_a_dry_run_reports_and_deletes_nothing(db):
    orphan = stored(b"x" * 1234)
    report = collect_garbage(DAY, dry_run=True)
    assert (report.files, report.freed_bytes) == (1, 1234)
    assert artifact_store().exists(orphan)


def test_it_puts_back_a_file_named_while_being_collected(
    people,
    dataset,  # noqa: F811 - the fixture imported above
    monkeypatch,
):
    digest = stored(b"same bytes again" * 10)
    run = a_run(people, dataset)
    rename = os.rename

    def rename_then_name(source, target):
        rename(source, target)
        if not Artifact.objects.filter(digest=digest).exists():
            name(run, digest, size=160)  # an upload of the same bytes finishes right now

    monkeypatch.setattr(artifacts.os, "rename", rename_then_name)
    assert collect_garbage(DAY).files == 0
    assert artifact_store().exists(digest)
    assert not any((artifact_store().root / "collecting").iterdir())


def test_an_upload_whose_file_was_collected_meanwhile_is_refused_not_kept_naming_nothing(
    people,
    dataset,  # noqa: F811 - the fixture imported above
    monkeypatch,
):
    run = a_run(people, dataset)
    Run.objects.filter(pk=run.pk).update(status=Status.COLLECTING)
    run.refresh_from_db()
    store = artifact_store()
    ingest = type(store).ingest

    def ingest_then_collected(self, *args, **kwargs):
        blob = ingest(self, *args, **kwargs)
        self.delete(blob.digest)  # the collector's unlink, between the upload and its row
        return blob

    monkeypatch.setattr(type(store), "ingest", ingest_then_collected)
    with pytest.raises(ArtifactRefused) as refused:
        store_artifact(run, "model.bin", io.BytesIO(b"weights"), 7, None)
    assert refused.value.status == 409 and "upload it again" in str(refused.value)
    assert not run.artifacts.exists()


def test_the_command_says_what_it_freed(db, capsys):
    stored(b"y" * 2048)
    abandoned = artifact_store().incoming / "upload-dead"
    abandoned.parent.mkdir(parents=True, exist_ok=True)
    abandoned.write_bytes(b"z" * 100)
    os.utime(abandoned, (time.time() - 2 * DAY,) * 2)
    call_command("artifacts_gc", "--dry-run")
    assert "Would delete 1 artifact file(s), freeing 2.0 KiB" in capsys.readouterr().out
    call_command("artifacts_gc")
    out = capsys.readouterr().out
    assert "Deleted 1 artifact file(s), freeing 2.0 KiB and 100 bytes of abandoned uploads." in out
    assert not abandoned.exists()


def test_it_runs_daily_with_celery_beat(db, settings):
    from pipelines import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["artifacts-gc"]
    assert entry["task"] == "pipelines.tasks.artifacts_gc_task" and entry["schedule"] == DAY
    orphan = stored(b"w" * 300, age=2 * DAY)
    young = stored(b"v" * 50, age=60)
    assert tasks.artifacts_gc_task() == 300
    assert not artifact_store().exists(orphan) and artifact_store().exists(young)
