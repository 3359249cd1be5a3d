"""Benchmark a three-step data pipeline through the hub against the same three `docker run`s
chained by hand, in one run.

Publishes three small Data Operations (Docker builder), pushes a CSV dataset, starts the hub
(gunicorn: the worker fetches the dataset and uploads outputs over HTTP, as in production),
then:

- by hand: `docker run --network none` of the three images by digest, each step's output folder
  mounted as the next step's input (the images are already in the engine);
- through the hub: the pipeline service and the run worker's task body, in-process, ending with
  the commit of the last output to a new branch;
- through the hub again, unchanged: every step served from the step cache.

Prints the times, the overhead per step (hub - by hand) / 3 (target <= 1.5 s) and the fully
cached re-run (target < 1 s). Needs a Docker engine with mlreef/python:3.11 and Debian's
docker-registry; it uses a throw-away DATA_DIR.

    python bench/pipeline.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import harness

WORK = harness.isolate("mlreef-bench-")
os.environ["IMAGE_BUILDER"] = "docker"
BASE_IMAGE = "mlreef/python:3.11"

STEP = '''"""Append a column holding the row number times --factor to every CSV row."""
import argparse
import csv
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--input-path", required=True)
parser.add_argument("--output-path", required=True)
parser.add_argument("--factor", type=int, default=1)
args = parser.parse_args()
source = Path(args.input_path)
files = [source] if source.is_file() else sorted(source.rglob("*.csv"))
rows = list(csv.reader(files[0].open()))
with (Path(args.output_path) / "data.csv").open("w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(rows[0] + [f"c{len(rows[0])}"])
    for number, row in enumerate(rows[1:], 1):
        writer.writerow(row + [number * args.factor])
'''


def main() -> None:
    if shutil.which("docker-registry") is None:
        raise SystemExit("needs Debian's docker-registry")
    registry = harness.registry(WORK)
    os.environ["REGISTRY_URL"] = registry.host
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import User
    from modules import services as module_services
    from pipelines import services
    from pipelines.services import data_pipelines
    from publishing import services as publishing
    from publishing.models import BaseEnvironment, Status

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", "bench@example.com", "bench-password-1")
    BaseEnvironment.objects.create(name="python-3.11", image=BASE_IMAGE, python_version="3.11")
    publications = []
    for number in range(1, 4):
        module = module_services.create_module(
            user, name=f"step{number}", kind="data-operation", data_types=["tabular"]
        )
        module.repository.commit_files(
            "master",
            {"op.py": STEP.encode(), "requirements.txt": f"# step {number}\n".encode()},
            "Step",
            "bench",
            "bench@example.com",
        )
        publication = publishing.start_publication(
            module,
            user,
            publishing.PublishRequest(
                ref="master", entrypoint="op.py", base_environment="python-3.11"
            ),
        )
        publishing.run_publication(publication.pk)
        publication.refresh_from_db()
        if publication.status != Status.PUBLISHED:
            raise SystemExit(f"publication failed: {publication.failure_reason}")
        publications.append(publication)
    dataset = module_services.create_module(
        user, name="numbers", kind="dataset", data_types=["tabular"]
    )
    table = "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(1000))
    dataset.repository.commit_files(
        "master", {"data.csv": table.encode()}, "Data", "bench", "bench@example.com"
    )
    hub = harness.start_hub(WORK, HUB_URL="")
    settings.HUB_URL = hub.url
    images = [services.image_by_digest(p) for p in publications]
    for image in images:
        subprocess.run(["docker", "pull", "-q", image], check=True, capture_output=True)

    # By hand: the same images by digest, chained through folders.
    started = time.perf_counter()
    source = WORK / "by-hand" / "input"
    source.mkdir(parents=True)
    (source / "data.csv").write_text(table)
    for number, image in enumerate(images, 1):
        output = WORK / "by-hand" / f"output-{number}"
        output.mkdir()
        output.chmod(0o777)
        subprocess.run(
            ["docker", "run", "--rm", "--network", "none",
             "-v", f"{source}:/mlreef/input:ro", "-v", f"{output}:/mlreef/output",
             image, "--input-path", "/mlreef/input", "--output-path", "/mlreef/output",
             "--factor", str(number)],
            check=True, capture_output=True,
        )  # fmt: skip
        source = output
    by_hand = time.perf_counter() - started

    # Through the hub: validate, record, run each step (fetch, container, upload), commit.
    data_pipelines._enqueue = lambda pipeline_run: None  # the task body runs right here

    def through_hub() -> tuple[float, object]:
        begun = time.perf_counter()
        pipeline_run = services.start_pipeline(
            user,
            services.PipelineRequest(
                dataset=dataset,
                name="bench",
                input_paths=["data.csv"],
                steps=[
                    services.StepRequest(p.module.full_name, p.version, {"factor": n})
                    for n, p in enumerate(publications, 1)
                ],
            ),
        )
        if not pipeline_run.is_final:
            services.execute_pipeline(pipeline_run.pk)
        pipeline_run.refresh_from_db()
        if pipeline_run.status != "succeeded":
            raise SystemExit(f"pipeline failed: {pipeline_run.failure_reason}")
        return time.perf_counter() - begun, pipeline_run

    hub_time, first = through_hub()
    cached_time, again = through_hub()
    expected = (WORK / "by-hand" / "output-3" / "data.csv").read_bytes()
    committed = dataset.repository.read_file(first.branch, "data.csv")
    steps = list(first.steps.order_by("step"))
    print("three-step pipeline, 1000-row CSV, base", BASE_IMAGE)
    print(f"  by hand: 3 chained docker runs      {by_hand:7.2f} s")
    print(f"  hub: pipeline run + commit          {hub_time:7.2f} s   (branch {first.branch})")
    for step in steps:
        print(f"    step {step.step}: {step.duration.total_seconds():6.2f} s")
    print(
        f"  overhead per step (hub - hand) / 3  {(hub_time - by_hand) / 3:7.2f} s   (target <= 1.5)"
    )
    print(f"  ratio hub / by hand                 {hub_time / by_hand:7.2f}x")
    print(f"  hub, unchanged re-run (all cached)  {cached_time:7.2f} s   (target < 1; "
          f"cached: {again.cached}, branch {again.branch})")  # fmt: skip
    print(f"  same output as by hand              {committed == expected}")
    hub.stop()
    registry.stop()
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
