"""Experiments end to end with the real pieces: a Model module published in the test, a dataset
pushed with git, a run worker process on the `runs` queue with its own empty DATA_DIR (no disk
shared with the hub), the Docker engine, the registry, and headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connections

from accounts.models import PersonalAccessToken
from modules import services as module_services
from pipelines import services
from pipelines.models import Run, Status
from pipelines.services.containers import sweep_run_containers
from publishing.models import BaseEnvironment, Publication
from publishing.models import Status as PublicationStatus
from tests.conftest import BASE_IMAGE, PASSWORD
from tests.helpers import OnlyThese, database_url, url_with_credentials

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TRAIN = '''"""A model that trains for a few epochs and writes experiment.json each epoch."""
import argparse
import json
import shutil
import time
from pathlib import Path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-path", required=True)
    parser.add_argument("--output-path", required=True)
    parser.add_argument("--epochs", type=int, default=3, help="Training epochs")
    parser.add_argument("--delay", type=float, default=0.0, help="Seconds per epoch")
    parser.add_argument("--mode", choices=["ok", "fail", "oom", "hang"], default="ok")
    parser.add_argument("--tags", nargs="+", default=["a"])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    source, output = Path(args.input_path), Path(args.output_path)
    files = sorted(p for p in source.rglob("*") if p.is_file())
    print("inputs:", [p.relative_to(source).as_posix() for p in files], "tags:", args.tags,
          "verbose" if args.verbose else "quiet", flush=True)
    if args.mode == "fail":
        raise ValueError("the labels file is malformed")
    if args.mode == "oom":
        hog = [b"x" * (1 << 20) for _ in range(4096)]
        print(len(hog))
    if args.mode == "hang":
        time.sleep(3600)
    history = {}
    for epoch in range(args.epochs):
        history[str(epoch)] = {"loss": round(1 / (epoch + 1), 4), "acc": epoch / args.epochs}
        (output / "experiment.json").write_text(json.dumps(history))
        print(json.dumps({"epoch": epoch, "lr": 0.1 / (epoch + 1)}), flush=True)
        time.sleep(args.delay)
    (output / "model.bin").write_bytes(bytes(range(256)) * 64)
    (output / "inputs").mkdir()
    for path in files:
        shutil.copy(path, output / "inputs" / path.name)


if __name__ == "__main__":
    main()
'''
IMAGE_BYTES = bytes(range(256)) * 400 + b"\x00end"


@pytest.fixture(scope="session")
def run_worker(django_db_setup, django_db_blocker, hub, tmp_path_factory):
    """A Celery worker on the `runs` queue with its own empty DATA_DIR: it shares only the
    database and the broker with the hub, and reaches the hub over HTTP."""
    with django_db_blocker.unblock():
        db = dict(connections["default"].settings_dict)
    worker = start_run_worker(db, hub, tmp_path_factory.mktemp("run-worker"), "runs")
    yield worker
    worker.terminate()
    worker.wait(timeout=30)


def start_run_worker(db, hub, folder: Path, queue: str) -> subprocess.Popen:
    from django.conf import settings

    data_dir = folder / "data"
    data_dir.mkdir()
    log_path = folder / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(db),
        "DATA_DIR": str(data_dir),
        "CELERY_BROKER_DIR": str(settings.DATA_DIR / "celery-broker"),
        "SECRET_KEY": settings.SECRET_KEY,
        "HUB_URL": hub.url,
        "PUBLIC_URL": hub.url,
        "REGISTRY_URL": "",
    }
    log = open(log_path, "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mlreef", "worker", "-Q", queue,
         "--concurrency", "2", "--loglevel", "INFO",
         "--hostname", f"runs-{queue}-{os.getpid()}@%h"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("run worker did not start:\n" + log_path.read_text())
        time.sleep(0.2)
    process.log_path = log_path  # type: ignore[attr-defined]
    process.data_dir = data_dir  # type: ignore[attr-defined]
    return process


@pytest.fixture
def stack(settings, docker_engine, hub_base, celery_worker, run_worker, hub, people):
    """Images go to the hub's own registry (REGISTRY_URL unset, as in production)."""
    settings.REGISTRY_URL = ""
    settings.PUBLIC_URL = hub.url
    settings.HUB_URL = hub.url
    BaseEnvironment.objects.create(
        name="python-3.11", image=BASE_IMAGE, python_version="3.11", description="CPU"
    )
    return hub


def push(hub, git_client, module, user, tmp_path, files) -> None:
    work = git_client.new_work_tree(tmp_path / f"w-{uuid.uuid4().hex[:6]}", files)
    url = url_with_credentials(hub.url, module.clone_path(), user.username, PASSWORD)
    git_client.run("push", "-q", url, "master", cwd=work)


def push_with_lfs(hub, git_client, module, user, tmp_path, files) -> None:
    """A dataset pushed with git-lfs: *.bin files travel as LFS objects."""
    if shutil.which("git-lfs") is None:
        pytest.skip("git-lfs is not installed (apt-get install git-lfs)")
    git_client.run("lfs", "install", "--skip-repo")
    work = tmp_path / f"d-{uuid.uuid4().hex[:6]}"
    work.mkdir()
    git_client.run("init", "-q", "-b", "master", cwd=work)
    git_client.run("lfs", "track", "*.bin", cwd=work)
    for name, content in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(content.encode() if isinstance(content, str) else content)
    git_client.run("add", "-A", cwd=work)
    git_client.run("commit", "-qm", "Data", cwd=work)
    url = url_with_credentials(hub.url, module.clone_path(), user.username, PASSWORD)
    git_client.run("push", "-q", url, "master", cwd=work)


def api(hub, token, method, path, body=None, raw=False):
    request = urllib.request.Request(
        hub.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read()
            return response.status, data if raw else json.loads(data)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait_for(run_id: int, statuses, timeout: float = 300) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.objects.get(pk=run_id)
        if run.status in statuses:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {run.status}:\n{log_text(run)}")


def log_text(run: Run) -> str:
    return "\n".join(run.lines.values_list("text", flat=True))


def containers_of(docker_engine, run_id: int) -> list:
    """The run's container, by its unique name (run ids repeat across test databases)."""
    name = Run.objects.get(pk=run_id).container_name
    assert name, f"run {run_id} never started a container"
    return docker_engine.containers(all=True, filters={"name": name})


@pytest.fixture
def published(stack, git_client, people, tmp_path):
    """A Model module published through the API, and a dataset pushed with git."""
    hub = stack
    slug = f"net-{uuid.uuid4().hex[:6]}"
    model = module_services.create_module(
        people.owner, name=slug, slug=slug, kind="model", data_types=["image"]
    )
    push(
        hub, git_client, model, people.owner, tmp_path, {"train.py": TRAIN, "requirements.txt": ""}
    )
    _, token = PersonalAccessToken.issue(people.owner, "ci", ["write"])
    status, body = api(
        hub, token, "POST", f"/api/v1/modules/{model.full_name}/publications/",
        {"entrypoint": "train.py", "base_environment": "python-3.11"},
    )  # fmt: skip
    assert status == 202, body
    deadline = time.monotonic() + 900
    while not (publication := Publication.objects.get(pk=body["id"])).is_final:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert publication.status == PublicationStatus.PUBLISHED, "\n".join(
        publication.lines.values_list("text", flat=True)
    )
    dataset = module_services.create_module(
        people.owner, name="Pets", slug=f"pets-{slug}", kind="dataset", data_types=["image"],
        visibility="private",
    )  # fmt: skip
    files = {"images/cat.bin": IMAGE_BYTES, "labels.csv": "file,label\ncat.bin,cat\n"}
    push_with_lfs(hub, git_client, dataset, people.owner, tmp_path, files)
    assert dataset.repository.read_file("master", "images/cat.bin").startswith(b"version https")
    return model, publication, dataset, token


def start_body(model, dataset, **extra) -> dict:
    return {"dataset": dataset.full_name, "module": model.full_name, "version": 1, **extra}


def test_an_experiment_through_the_browser_with_live_charts_artifacts_and_compare(
    published, hub, docker_engine, chromium_path, people, run_worker
):
    from tests.test_browser import CHROMIUM_ARGS

    model, publication, dataset, token = published
    sync_api = pytest.importorskip("playwright.sync_api")
    seen_points: list[int] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        page.goto(hub.url + "/accounts/login/")
        page.fill("#id_username", "olivia")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(hub.url + f"/{dataset.full_name}/experiments/")
        page.click("[data-testid=new-experiment]")
        page.fill("[data-testid=model-search]", model.slug)
        page.click("[data-testid=load]")
        page.select_option("[data-testid=version]", str(publication.pk))
        page.click("[data-testid=load]")
        assert "--epochs" in page.inner_text("#run-form")
        page.check("input[name=input_path][value=images]")
        page.fill("[data-testid=param-epochs]", "6")
        page.fill("[data-testid=param-delay]", "1")
        page.check("[data-testid=param-verbose]")
        page.click("[data-testid=start-run]")
        page.wait_for_url("**/experiments/*/")
        run_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
        # The chart gains points while the run is running.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = Run.objects.get(pk=run_id).status
            if status in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED):
                break
            loss = page.locator(".chart[data-key=loss]")
            if status == Status.RUNNING and loss.count():
                seen_points.append(int(loss.get_attribute("data-points") or 0))
            time.sleep(0.3)
        finished = Run.objects.get(pk=run_id)
        assert finished.status == Status.SUCCEEDED, log_text(finished)
        page.wait_for_selector("[data-testid=artifacts] >> text=model.bin", timeout=60_000)
        artifacts_text = page.inner_text("[data-testid=artifacts]")
        # The finished run's page draws the whole history (replayed by the metric stream).
        page.wait_for_selector(".chart[data-key=loss][data-points='6']")
        final_points = int(page.locator(".chart[data-key=loss]").get_attribute("data-points"))
        browser.close()
    connections.close_all()
    run = Run.objects.get(pk=run_id)
    assert run.status == Status.SUCCEEDED, log_text(run)
    growing = [n for n in seen_points if n > 0]
    assert growing and growing[0] < max(growing), seen_points  # points arrived while running
    assert final_points == 6 and "inputs/cat.bin" in artifacts_text
    log = log_text(run)
    assert "inputs: ['cat.bin'] tags: ['a'] verbose" in log and "== succeeded ==" in log
    assert (
        run.command[:2] == ["--input-path", "/mlreef/input/images"] and "--verbose" in run.command
    )
    assert run.dataset_commit == dataset.repository.resolve("master")
    assert run.image.endswith(f"@{publication.image_digest}")
    assert containers_of(docker_engine, run.pk) == []

    # The run worker has its own DATA_DIR: the dataset came over git + LFS HTTP, the outputs
    # went back over HTTP, and nothing was kept on its disk.
    assert not any((run_worker.data_dir / "repositories").iterdir())
    assert not (run_worker.data_dir / "artifacts").exists()

    # Artifacts download byte-identical (the LFS file the script copied to its outputs); the
    # metric API gives the history, paged.
    status, listed = api(hub, token, "GET", f"/api/v1/runs/{run.pk}/artifacts/")
    assert {a["path"] for a in listed} >= {"model.bin", "inputs/cat.bin", "experiment.json"}
    status, data = api(
        hub, token, "GET", f"/api/v1/runs/{run.pk}/artifacts/inputs/cat.bin", raw=True
    )
    assert status == 200 and data == IMAGE_BYTES
    status, data = api(hub, token, "GET", f"/api/v1/runs/{run.pk}/artifacts/model.bin", raw=True)
    assert data == bytes(range(256)) * 64
    status, page_one = api(
        hub, token, "GET", f"/api/v1/runs/{run.pk}/metrics/history/?key=loss&page_size=4"
    )
    assert page_one["count"] == 6 and [p["step"] for p in page_one["results"]] == [0, 1, 2, 3]
    status, page_two = api(hub, token, "GET", page_one["next"].split(hub.url, 1)[-1])
    assert [p["value"] for p in page_two["results"]] == [0.2, 0.1667]
    status, lr = api(hub, token, "GET", f"/api/v1/runs/{run.pk}/metrics/history/?key=lr")
    assert lr["count"] == 6  # JSON lines on stdout are metrics too
    status, log_tail = api(hub, token, "GET", f"/api/v1/runs/{run.pk}/log/?offset=3")
    assert log_tail[0]["number"] == 4

    # A second experiment with another parameter, then both compared.
    status, other = api(hub, token, "POST", "/api/v1/runs/",
                        start_body(model, dataset, parameters={"epochs": 3}))  # fmt: skip
    assert status == 202
    other_run = wait_for(other["id"], (Status.SUCCEEDED, Status.FAILED))
    assert other_run.status == Status.SUCCEEDED, log_text(other_run)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(hub.url + "/accounts/login/")
        page.fill("#id_username", "olivia")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(hub.url + f"/{model.full_name}/experiments/")
        page.check(f"[data-testid=select-{run.pk}]")
        page.check(f"[data-testid=select-{other_run.pk}]")
        page.click("[data-testid=compare]")
        page.wait_for_selector(".chart[data-key=loss][data-points='9']")
        table = page.inner_text("[data-testid=compare-table]")
        charts = page.locator(".chart").count()
        loss_points = page.locator(".chart[data-key=loss]").get_attribute("data-points")
        browser.close()
    connections.close_all()
    assert f"#{run.pk}" in table and f"#{other_run.pk}" in table
    assert charts == 3 and loss_points == "9"  # acc, loss, lr; 6 + 3 overlaid points

    # The same run again is a cache hit: no container starts.
    since = int(time.time()) - 1
    status, again = api(hub, token, "POST", f"/api/v1/runs/{other_run.pk}/rerun/", {})
    assert status == 202 and again["status"] == "succeeded" and again["cached"]
    assert again["cached_from"] == other_run.pk
    events = docker_engine.events(
        since=since, until=int(time.time()) + 1, decode=True,
        filters={"type": "container", "event": "create"},
    )  # fmt: skip
    assert [
        e for e in events if e.get("Actor", {}).get("Attributes", {}).get("ai.mlreef.run")
    ] == []
    status, cached_metrics = api(hub, token, "GET", f"/api/v1/runs/{again['id']}/metrics/")
    assert {m["key"]: m["final"] for m in cached_metrics}["loss"] == pytest.approx(0.3333)


def test_failures_limits_and_cancel(published, hub, docker_engine, settings):
    model, publication, dataset, token = published
    status, body = api(hub, token, "POST", "/api/v1/runs/",
                       start_body(model, dataset, parameters={"mode": "sometimes"}))  # fmt: skip
    assert status == 400 and "'mode'" in body["detail"]
    assert not Run.objects.exists()

    started = {}
    for name, extra in {
        "exit": {"parameters": {"mode": "fail"}},
        "memory": {"parameters": {"mode": "oom"}, "memory_limit_mb": 64},
        "time": {"parameters": {"mode": "hang"}, "time_limit_seconds": 4},
        "cancel": {"parameters": {"mode": "hang"}, "use_cache": False},
    }.items():
        status, body = api(hub, token, "POST", "/api/v1/runs/", start_body(model, dataset, **extra))
        assert status == 202, body
        started[name] = body["id"]

    cancel = wait_for(started["cancel"], (Status.RUNNING,))
    time.sleep(1)
    status, _ = api(hub, token, "POST", f"/api/v1/runs/{cancel.pk}/cancel/", {})
    assert status == 202
    cancel = wait_for(cancel.pk, (Status.CANCELLED, Status.FAILED, Status.SUCCEEDED), 30)
    assert cancel.status == Status.CANCELLED, log_text(cancel)
    assert containers_of(docker_engine, cancel.pk) == []

    failed = wait_for(started["exit"], (Status.FAILED, Status.SUCCEEDED))
    assert failed.failure_kind == "user" and failed.exit_code == 1
    assert "ValueError: the labels file is malformed" in log_text(failed)
    assert "Traceback (most recent call last)" in log_text(failed)
    memory = wait_for(started["memory"], (Status.FAILED, Status.SUCCEEDED))
    assert memory.failure_kind == "user" and "Memory limit exceeded" in memory.failure_reason
    slow = wait_for(started["time"], (Status.FAILED, Status.SUCCEEDED))
    assert slow.failure_kind == "user" and "Time limit exceeded" in slow.failure_reason
    for run_id in started.values():
        assert containers_of(docker_engine, run_id) == []


def test_an_unreachable_engine_is_a_platform_error(published, settings, monkeypatch):
    model, publication, dataset, token = published
    # Never send the task: the session's real worker would claim the run before this test does.
    monkeypatch.setattr("pipelines.services.experiments._enqueue", lambda run: None)
    run = services.start_run(
        dataset.owner,
        services.StartRequest(
            dataset=dataset, publication=publication, use_cache=False
        ),  # fmt: skip
    )
    settings.DOCKER_HOST = "tcp://127.0.0.1:9"
    services.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == Status.FAILED and run.failure_kind == "platform"
    assert "not reachable" in run.failure_reason


def test_a_killed_worker_fails_its_run_after_the_timeout(
    published, hub, docker_engine, settings, tmp_path
):
    model, publication, dataset, token = published
    with connections["default"].cursor():
        db = dict(connections["default"].settings_dict)
    doomed = start_run_worker(db, hub, tmp_path, "runs-doomed")
    settings.RUN_QUEUE = "runs-doomed"
    run = services.start_run(
        dataset.owner,
        services.StartRequest(dataset=dataset, publication=publication,
                              parameters={"mode": "hang"}, use_cache=False),
    )  # fmt: skip
    try:
        wait_for(run.pk, (Status.RUNNING,))
        deadline = time.monotonic() + 120
        while not any(c["State"] == "running" for c in containers_of(docker_engine, run.pk)):
            assert time.monotonic() < deadline, "the run's container never started"
            time.sleep(0.2)
        os.killpg(doomed.pid, signal.SIGKILL)  # the worker and its pool, as a crash would
        doomed.wait(timeout=30)
        settings.RUN_HEARTBEAT_TIMEOUT = 2
        time.sleep(3)
        assert services.reap_stale_runs() == 1
        run.refresh_from_db()
        assert run.status == Status.FAILED and run.failure_kind == "platform"
        assert "No sign of life" in log_text(run)
        # The orphan the worker left is still running; the sweep of its engine removes it
        # (through the real runner, narrowed to it: the engine is shared with other sessions).
        assert [c["State"] for c in containers_of(docker_engine, run.pk)] == ["running"]
        assert sweep_run_containers(OnlyThese(run.container_name)) == 1
        assert containers_of(docker_engine, run.pk) == []
    finally:
        if doomed.poll() is None:
            os.killpg(doomed.pid, signal.SIGKILL)
        for container in containers_of(docker_engine, run.pk):
            docker_engine.remove_container(container["Id"], force=True)
