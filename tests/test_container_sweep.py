"""Run containers left by dead workers are removed; a live run's, or anything not the hub's,
never is. Real containers on the real Docker engine.

The engine is shared with other test sessions, whose runs are not in this database: each test
sweeps through the real runner narrowed to the containers it made, so it can never remove
theirs.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from pipelines import tasks
from pipelines.models import Run, Status
from pipelines.runners import CONTAINER_PREFIX, RUN_LABEL
from pipelines.runners.docker import DockerRunner
from pipelines.services.containers import sweep_run_containers
from tests.conftest import BASE_IMAGE
from tests.helpers import OnlyThese
from tests.test_experiments import dataset, no_queue, publish, start  # noqa: F401 - fixtures


@pytest.fixture
def containers(docker_engine):
    """Start a sleeping container: ``make(name, labelled=True)``; all removed afterwards."""
    made: list[str] = []

    def make(name: str, labelled: bool = True) -> str:
        docker_engine.create_container(
            BASE_IMAGE,
            command=["sleep", "300"],
            name=name,
            labels={RUN_LABEL: "0"} if labelled else {},
            host_config=docker_engine.create_host_config(network_mode="none"),
        )
        docker_engine.start(name)
        made.append(name)
        return name

    yield make
    for name in made:
        try:
            docker_engine.remove_container(name, force=True)
        except Exception:  # noqa: BLE001, S110 - the sweep removed it
            pass


def exists(docker_engine, name: str) -> bool:
    return bool(docker_engine.containers(all=True, filters={"name": f"^/{name}$"}))


def container_name() -> str:
    return f"{CONTAINER_PREFIX}test-{uuid.uuid4().hex[:8]}"


def run_with(people, dataset, name: str, **fields) -> Run:  # noqa: F811 - a parameter here
    run = start(people, dataset, publish(people, slug=f"m-{uuid.uuid4().hex[:6]}"))
    Run.objects.filter(pk=run.pk).update(container_name=name, **fields)
    return Run.objects.get(pk=run.pk)


def test_it_removes_the_container_of_a_run_that_ended(
    people,
    dataset,  # noqa: F811 - the fixture imported above
    containers,
    docker_engine,
):
    name = containers(container_name())
    run_with(people, dataset, name, status=Status.FAILED, finished_at=timezone.now())
    assert sweep_run_containers(OnlyThese(name)) == 1
    assert not exists(docker_engine, name)


def test_it_keeps_the_container_of_a_live_run(
    people,
    dataset,  # noqa: F811 - the fixture imported above
    containers,
    docker_engine,
):
    name = containers(container_name())
    now = timezone.now()
    run = run_with(people, dataset, name, status=Status.RUNNING, started_at=now, heartbeat_at=now)
    assert sweep_run_containers(OnlyThese(name)) == 0
    assert exists(docker_engine, name)
    run.refresh_from_db()
    assert run.status == Status.RUNNING


def test_it_fails_a_silent_run_then_removes_its_container(
    people,
    dataset,  # noqa: F811 - the fixture imported above
    containers,
    docker_engine,
    settings,  # noqa: F811
):
    settings.RUN_HEARTBEAT_TIMEOUT = 100
    name = containers(container_name())
    long_ago = timezone.now() - timedelta(seconds=200)
    run = run_with(
        people, dataset, name, status=Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    assert sweep_run_containers(OnlyThese(name)) == 1
    assert not exists(docker_engine, name)
    run.refresh_from_db()
    assert run.status == Status.FAILED and "No sign of life" in run.failure_reason


def test_it_removes_a_container_no_run_knows_only_once_older_than_any_run(
    db, containers, docker_engine, settings
):
    name = containers(container_name())
    assert sweep_run_containers(OnlyThese(name)) == 0  # maybe another hub's live run
    assert exists(docker_engine, name)
    settings.RUN_TIME_LIMIT_SECONDS = 1
    settings.RUN_HEARTBEAT_TIMEOUT = 1
    time.sleep(3)  # the engine dates containers to the second
    assert sweep_run_containers(OnlyThese(name)) == 1
    assert not exists(docker_engine, name)


def test_it_sees_only_containers_with_the_hubs_label_and_prefix(containers):
    ours = containers(container_name())
    unlabelled = containers(container_name(), labelled=False)
    other_name = containers(f"someone-else-{uuid.uuid4().hex[:8]}")
    listed = {c.name for c in DockerRunner().run_containers()}
    assert ours in listed
    assert unlabelled not in listed and other_name not in listed


def test_it_sweeps_when_a_run_worker_starts_and_on_a_schedule(settings, monkeypatch):
    swept = []
    monkeypatch.setattr(tasks, "sweep_run_containers_here", lambda: swept.append(1))

    def worker(*queues: str) -> SimpleNamespace:
        return SimpleNamespace(app=SimpleNamespace(amqp=SimpleNamespace(
            queues=SimpleNamespace(consume_from={q: None for q in queues})
        )))  # fmt: skip

    tasks.sweep_run_containers_at_start(sender=worker("celery"))
    assert swept == []  # a build worker has no business with run containers
    tasks.sweep_run_containers_at_start(sender=worker("celery", settings.RUN_QUEUE))
    tasks.sweep_run_containers_at_start(sender=worker(settings.RUN_GPU_QUEUE))
    assert swept == [1, 1]
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-run-containers"]
    assert entry["task"] == "pipelines.tasks.sweep_run_containers_task"
    assert entry["options"]["queue"] == settings.RUN_QUEUE
