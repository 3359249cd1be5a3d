"""Experiments: what the hub adds to a plain `docker run`, the cached re-run, metric latency.

Starts a throw-away hub (gunicorn + stream server), a run worker on the `runs` queue and a
distribution registry; builds a one-step model image and pushes it, pushes a small dataset,
then measures in the same process:

1. a run through the hub (start -> queued -> fetch over git HTTP -> container -> artifacts
   uploaded -> succeeded) against a plain `docker run --network none` of the same image on
   the same input (the baseline), median of N each; target overhead <= 1.5 s;
2. the same run again, served by the step cache through the REST API; target < 0.5 s;
3. a metric value stored by the run worker's recorder -> the browser's event stream (the
   path the run page's charts take), p50 / p95; target p50 < 1 s. Baseline: the metric
   history API polled once a second, as a page without SSE would.

    python bench/run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import threading
import time
import urllib.request

import harness

WORK = harness.isolate("mlreef-bench-run-")

TRAIN = """import argparse, json, pathlib
p = argparse.ArgumentParser()
p.add_argument("--input-path"); p.add_argument("--output-path")
p.add_argument("--epochs", type=int, default=2)
a = p.parse_args()
n = sum(1 for f in pathlib.Path(a.input_path).rglob("*") if f.is_file())
history = [{"epoch": e, "loss": 1 / (e + 1), "files": n} for e in range(a.epochs)]
pathlib.Path(a.output_path, "experiment.json").write_text(json.dumps(history))
"""
SCHEMA = [
    {"name": "input_path", "flags": ["--input-path"], "action": "store", "type": None,
     "nargs": None, "default": None, "required": True, "choices": None, "visible": True},
    {"name": "output_path", "flags": ["--output-path"], "action": "store", "type": None,
     "nargs": None, "default": None, "required": True, "choices": None, "visible": True},
    {"name": "epochs", "flags": ["--epochs"], "action": "store", "type": "int", "nargs": None,
     "default": 2, "required": False, "choices": None, "visible": True},
]  # fmt: skip


def sh(*args: str, **kwargs) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def describe(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def main() -> None:  # noqa: PLR0915 - one scenario, read top to bottom
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--repeat", type=int, default=3)
    repeat = options.parse_args().repeat
    processes: list[subprocess.Popen] = []
    try:
        run_bench(repeat, processes)
    finally:
        harness.stop(*processes)
        shutil.rmtree(WORK, ignore_errors=True)


def run_bench(repeat: int, processes: list[subprocess.Popen]) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import PersonalAccessToken, User
    from modules import services as module_services
    from pipelines import metrics, services
    from pipelines.models import Run
    from publishing.models import BaseEnvironment, Publication

    call_command("migrate", verbosity=0)
    # A registry, and the image pushed to it (what publishing would have made).
    registry = harness.registry(WORK)
    processes.append(registry.process)
    registry_host = registry.host
    context = WORK / "image"
    context.mkdir()
    (context / "train.py").write_text(TRAIN)
    (context / "Dockerfile").write_text(
        "FROM mlreef/python:3.11\nCOPY train.py /app/train.py\n"
        'ENTRYPOINT ["python3", "/app/train.py"]\n'
    )
    reference = f"{registry_host}/bench/model:1"
    sh("docker", "build", "-q", "--network", "none", "-t", reference, str(context))
    pushed = sh("docker", "push", reference)
    digest = next(w for w in pushed.split() if w.startswith("sha256:"))

    user = User.objects.create_user("bench", "b@example.com", "bench-password-1")
    model = module_services.create_module(user, name="Model", kind="model", data_types=["any"])
    dataset = module_services.create_module(user, name="Data", kind="dataset", data_types=["any"])
    dataset.repository.commit_files(
        "master",
        {f"images/{i}.txt": f"sample {i}\n".encode() for i in range(20)},
        "Data",
        "bench",
        "b@example.com",
    )
    environment = BaseEnvironment.objects.create(name="py", image="x", python_version="3.11")
    publication = Publication.objects.create(
        module=model, version=1, commit_sha="0" * 40, entrypoint="train.py",
        parameters=SCHEMA, base_environment=environment, builder="bench",
        image_reference=reference, image_digest=digest, status="published",
    )  # fmt: skip

    # The web side never reaches itself; the run worker reaches it at HUB_URL, over HTTP.
    served = harness.start_hub(WORK, REGISTRY_URL=registry_host)
    processes += [served.process, served.stream_process]
    hub = settings.HUB_URL = served.url
    processes.append(harness.start_worker(served, "runs", REGISTRY_URL=registry_host))
    time.sleep(3)  # the worker connects to the broker

    # 1. Baseline: plain docker run of the same image on the same input.
    checkout = WORK / "input"
    checkout.mkdir()
    for i in range(20):
        (checkout / f"{i}.txt").write_text(f"sample {i}\n")
    baseline = []
    for index in range(repeat):
        output = WORK / f"out-{index}"
        output.mkdir()
        output.chmod(0o777)
        started = time.perf_counter()
        sh("docker", "run", "--rm", "--network", "none", "-v", f"{checkout}:/in:ro",
           "-v", f"{output}:/out", f"{registry_host}/bench/model@{digest}",
           "--input-path", "/in", "--output-path", "/out", "--epochs", "2")  # fmt: skip
        baseline.append(time.perf_counter() - started)

    # 1'. The same through the hub (cache off so each one really runs).
    through_hub: list[float] = []
    stages: list[list[float]] = []
    for _ in range(repeat):
        started = time.perf_counter()
        run = services.start_run(
            user,
            services.StartRequest(
                dataset=dataset, publication=publication, input_paths=["images"],
                parameters={"epochs": 2}, use_cache=False,
            ),
        )  # fmt: skip
        while not (run := Run.objects.get(pk=run.pk)).is_final:
            time.sleep(0.02)
        through_hub.append(time.perf_counter() - started)
        assert run.status == "succeeded", "\n".join(run.lines.values_list("text", flat=True))
        marks = {line.text.strip("= "): line.created_at for line in run.lines.all()}
        stages.append(
            [
                (run.started_at - run.created_at).total_seconds(),  # waiting in the queue
                (marks["running"] - marks["preparing"]).total_seconds(),  # fetch data, image
                (marks["collecting"] - marks["running"]).total_seconds(),  # the container
                (marks["succeeded"] - marks["collecting"]).total_seconds(),  # upload outputs
            ]
        )

    # 2. Cached re-run through the REST API.
    _, token = PersonalAccessToken.issue(user, "bench", ["write"])
    choice = {"dataset": dataset.full_name, "module": model.full_name, "version": 1}
    body = json.dumps({**choice, "input_paths": ["images"], "parameters": {"epochs": 2}}).encode()
    cached = []
    for _ in range(repeat):
        request = urllib.request.Request(
            f"{hub}/api/v1/runs/", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        cached.append(time.perf_counter() - started)
        assert answer["cached"] and answer["status"] == "succeeded", answer

    # 3. Metric value -> browser, over the run page's event stream.
    live = services.start_run(
        user,
        services.StartRequest(dataset=dataset, publication=publication, parameters={"epochs": 9},
                              use_cache=False),
    )  # fmt: skip
    Run.objects.filter(pk=live.pk).update(status="running", queue="nobody")
    recorder = metrics.MetricRecorder(live)
    sent: dict[int, float] = {}
    sse_delays: list[float] = []
    poll_delays: list[float] = []
    count = 40
    done = threading.Event()
    opener = urllib.request.build_opener()
    login = urllib.request.Request(f"{hub}/experiments/{live.pk}/metric-events/")

    def listen() -> None:
        with opener.open(login, timeout=120) as stream:
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith("data: ") and '"step"' in line:
                    step = json.loads(line[6:])["step"]
                    if step in sent:
                        sse_delays.append(time.perf_counter() - sent[step])
                if len(sse_delays) == count or done.is_set():
                    return

    def poll() -> None:
        seen = set()
        while not done.is_set():
            url = f"{hub}/api/v1/runs/{live.pk}/metrics/history/?key=loss&page_size=5000"
            with urllib.request.urlopen(url, timeout=30) as response:
                for point in json.load(response)["results"]:
                    if point["step"] in sent and point["step"] not in seen:
                        seen.add(point["step"])
                        poll_delays.append(time.perf_counter() - sent[point["step"]])
            time.sleep(1.0)

    listener, poller = threading.Thread(target=listen), threading.Thread(target=poll)
    listener.start()
    poller.start()
    time.sleep(1.5)
    for step in range(count):
        sent[step] = time.perf_counter()
        recorder.record([("loss", step, 1 / (step + 1))])
        time.sleep(0.15)
    listener.join(timeout=30)
    time.sleep(1.5)
    done.set()
    poller.join(timeout=10)
    Run.objects.filter(pk=live.pk).update(status="succeeded")

    hub_median, base_median = statistics.median(through_hub), statistics.median(baseline)
    print(f"plain docker run (baseline): median {base_median:.2f} s over {repeat}")
    print(f"run through the hub:         median {hub_median:.2f} s over {repeat}")
    print(f"overhead: {hub_median - base_median:.2f} s (target <= 1.5 s), "
          f"ratio {hub_median / base_median:.2f}x")  # fmt: skip
    queue, prepare, container, collect = (
        statistics.median(column) for column in zip(*stages, strict=True)
    )
    print(f"  of which: queue {queue:.2f} s, fetch + image {prepare:.2f} s, container "
          f"{container:.2f} s, outputs {collect:.2f} s")  # fmt: skip
    print(f"cached re-run via the API:   median {statistics.median(cached) * 1000:.0f} ms "
          f"(target < 500 ms)")  # fmt: skip
    print(f"metric -> browser over SSE:  {describe(sse_delays)} ({len(sse_delays)} values, "
          "target p50 < 1 s)")  # fmt: skip
    if poll_delays:
        print(f"baseline, API polled 1/s:    {describe(poll_delays)}")


if __name__ == "__main__":
    main()
