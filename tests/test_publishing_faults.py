"""Faults around the build queue: a broker that is down or lost a message, a worker that died
or hangs. Nothing is lost, nothing keeps running, and every failure says which it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone
from kombu.exceptions import OperationalError

from modules.file_templates import TEMPLATES
from publishing import services, tasks
from publishing.models import BaseEnvironment, Publication, Status
from tests.fakes import FakeBuilder, FakeRegistry

pytestmark = pytest.mark.django_db


class Broker:
    """Stands in for apply_async: records messages, or fails like an unreachable broker."""

    def __init__(self) -> None:
        self.down = False
        self.sent: list[tuple[int, str]] = []
        self.revoked: list[tuple[str, dict]] = []

    def apply_async(self, args, task_id, **options):
        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.sent.append((args[0], task_id))

    def revoke(self, task_id, **options):
        self.revoked.append((task_id, options))


@pytest.fixture
def broker(monkeypatch, settings):
    settings.IMAGE_BUILDER = "tests.fakes.FakeBuilder"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REGISTRY_BACKEND = "tests.fakes.FakeRegistry"
    FakeBuilder.reset()
    FakeRegistry.reset()
    fake = Broker()
    monkeypatch.setattr(tasks.run_publication_task, "apply_async", fake.apply_async)
    monkeypatch.setattr(services.stopping.current_app.control, "revoke", fake.revoke)
    return fake


@pytest.fixture
def module(public_module):
    BaseEnvironment.objects.create(name="py", image="mlreef/python:3.11", python_version="3.11")
    public_module.repository.commit_files(
        "master",
        {"train.py": TEMPLATES["model"].render().encode(), "requirements.txt": b""},
        "Add",
        "O",
        "o@example.com",
    )
    return public_module


def start_through_api(client, people, module):
    client.force_login(people.owner)
    return client.post(
        f"/api/v1/modules/{module.full_name}/publications/",
        {"ref": "master", "entrypoint": "train.py", "base_environment": "py"},
        content_type="application/json",
    )


def test_the_message_is_sent_after_the_commit_with_the_id_stored_first(
    client, people, module, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = start_through_api(client, people, module)
    assert response.status_code == 202 and broker.sent == [] and len(callbacks) == 1
    callbacks[0]()
    publication = Publication.objects.get()
    assert broker.sent == [(publication.pk, publication.task_id)] and publication.sent_at


def test_a_broker_that_is_down_still_gives_202_and_the_sweep_sends_it_later(
    client, people, module, broker, settings, django_capture_on_commit_callbacks
):
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        response = start_through_api(client, people, module)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    publication = Publication.objects.get()
    assert broker.sent == []
    broker.down = False
    settings.PUBLISH_REQUEUE_AFTER = 60
    assert services.resend_queued_publications() == 0  # not yet: it may still be on its way
    Publication.objects.update(sent_at=timezone.now() - timedelta(seconds=61))
    assert services.resend_queued_publications() == 1
    publication.refresh_from_db()
    assert broker.sent == [(publication.pk, publication.task_id)]
    services.run_publication(publication.pk, task_id=publication.task_id)
    services.run_publication(publication.pk, task_id="duplicate")  # a lost message came back
    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED, publication.failure_reason
    assert len(FakeBuilder.requests) == 1
    assert services.resend_queued_publications() == 0


def test_never_started_and_worker_died_are_different_reasons(
    client, people, module, broker, settings, django_capture_on_commit_callbacks
):
    settings.PUBLISH_QUEUE_TIMEOUT = 600
    settings.PUBLISH_HEARTBEAT_TIMEOUT = 60
    with django_capture_on_commit_callbacks(execute=True):
        start_through_api(client, people, module)
        start_through_api(client, people, module)
    waiting, running = Publication.objects.order_by("version")
    long_ago = timezone.now() - timedelta(seconds=700)
    Publication.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    Publication.objects.filter(pk=running.pk).update(
        status=Status.BUILDING,
        started_at=long_ago,
        heartbeat_at=timezone.now() - timedelta(seconds=30),
    )
    assert services.reap_stale_publications() == 1  # the running one is still alive
    waiting.refresh_from_db()
    assert waiting.status == Status.FAILED and waiting.failure_reason.startswith("Never started")
    Publication.objects.filter(pk=running.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    assert services.reap_stale_publications() == 1
    running.refresh_from_db()
    assert running.status == Status.FAILED and "died or hung" in running.failure_reason
    # The hung task is stopped where it runs, not just marked failed.
    assert (running.task_id, {"terminate": True, "signal": "SIGKILL"}) in broker.revoked


def test_a_build_past_the_time_limit_is_stopped_with_that_reason(people, module, broker):
    assert tasks.run_publication_task.soft_time_limit == 3600
    assert tasks.run_publication_task.time_limit > tasks.run_publication_task.soft_time_limit

    def hang(line):
        raise SoftTimeLimitExceeded()

    FakeBuilder.on_build_line = hang
    request = services.PublishRequest(ref="master", entrypoint="train.py", base_environment="py")
    publication = services.start_publication(module, people.owner, request)
    services.run_publication(publication.pk, task_id="t-1")
    publication.refresh_from_db()
    assert (
        publication.status == Status.FAILED and "PUBLISH_TIME_LIMIT" in publication.failure_reason
    )
    assert publication.task_id == "t-1"  # the message that won the claim is the one to stop


def test_the_sweeps_are_scheduled_with_celery_beat(settings):
    from mlreef.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["resend-queued-publications"]
    assert entry["task"] in app.tasks and entry["schedule"] <= settings.PUBLISH_REQUEUE_AFTER


def test_the_embedded_broker_never_hands_a_worker_a_half_written_message(tmp_path, monkeypatch):
    """A worker polling the filesystem broker while a message is being written used to read
    an empty file and die (JSONDecodeError). Poll at the worst moment: right after the
    producer creates its file, before any byte is in it."""
    import builtins

    from kombu import Connection
    from kombu.transport.virtual import Empty

    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "processed_folder": str(tmp_path),
        "store_processed": False,
    }
    with (
        Connection("filesystem://", transport="mlreef.broker:Transport") as producer,
        Connection("filesystem://", transport="mlreef.broker:Transport") as consumer,
    ):
        producer.transport_options.update(options)
        consumer.transport_options.update(options)
        reading, polls = consumer.default_channel, []
        real_open = builtins.open

        def open_then_poll(file, mode="r", *args, **kwargs):
            handle = real_open(file, mode, *args, **kwargs)
            if "w" in mode and str(file).startswith(str(tmp_path)):
                try:
                    polls.append(reading._get("builds"))
                except Empty:
                    polls.append(None)
            return handle

        monkeypatch.setattr(builtins, "open", open_then_poll)
        producer.default_channel._put("builds", {"body": "x" * 100_000})
        monkeypatch.setattr(builtins, "open", real_open)
        assert polls == [None]  # the consumer looked mid-write and saw nothing
        assert reading._get("builds") == {"body": "x" * 100_000}
        assert not list(tmp_path.iterdir())
