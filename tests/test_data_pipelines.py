"""Data pipelines and visualizations without a Docker engine: refusals, the step cache along
the chain, the commit of the last output (LFS above the threshold), saved YAML definitions, the
API and how outputs are served. The steps' execution is simulated here; the end-to-end test
(test_data_pipelines_e2e.py) runs them in containers."""

from __future__ import annotations

import io
import json

import pytest
import yaml

from accounts.internal import issue_internal_token
from accounts.models import PersonalAccessToken
from modules import services as module_services
from modules.lfs.pointers import parse_pointer
from pipelines import services
from pipelines.models import Artifact, PipelineKind, PipelineRun, Run, Status
from pipelines.services import data_pipelines, definitions
from publishing.models import BaseEnvironment, Publication
from publishing.models import Status as PublicationStatus

SCHEMA = [
    {"name": "input_path", "flags": ["--input-path"], "action": "store", "type": None,
     "nargs": None, "default": None, "required": True, "choices": None, "visible": True},
    {"name": "output_path", "flags": ["--output-path"], "action": "store", "type": None,
     "nargs": None, "default": None, "required": True, "choices": None, "visible": True},
    {"name": "ratio", "flags": ["--ratio"], "action": "store", "type": "float",
     "nargs": None, "default": 0.5, "required": False, "choices": None, "visible": True},
]  # fmt: skip


@pytest.fixture(autouse=True)
def no_queue(monkeypatch):
    queued = []
    monkeypatch.setattr(data_pipelines, "_enqueue", queued.append)
    monkeypatch.setattr(services.experiments, "_enqueue", queued.append)
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, *a, **k: func())
    return queued


@pytest.fixture
def dataset(people):
    module = module_services.create_module(
        people.owner, name="Table", slug="table", kind="dataset", data_types=["tabular"]
    )
    module.repository.commit_files(
        "master", {"data.csv": b"a,b\n1,2\n", "other.txt": b"x\n"}, "Data", "Olivia", "o@x.org"
    )
    return module


def publish(people, slug: str, kind: str = "data-operation", **extra) -> Publication:
    module = module_services.create_module(
        people.owner, name=slug, slug=slug, kind=kind, data_types=["tabular"], **extra
    )
    environment, _ = BaseEnvironment.objects.get_or_create(
        name="python-3.11", defaults={"image": "mlreef/python:3.11", "python_version": "3.11"}
    )
    return Publication.objects.create(
        module=module,
        version=1,
        commit_sha="0" * 40,
        entrypoint="op.py",
        parameters=SCHEMA,
        base_environment=environment,
        builder="docker",
        image_reference=f"127.0.0.1:5000/olivia/{slug}:1",
        image_digest="sha256:" + slug.encode().hex().ljust(64, "0")[:64],
        status=PublicationStatus.PUBLISHED,
    )


@pytest.fixture
def operations(people):
    return publish(people, "normalise"), publish(people, "split")


def request(dataset, steps, **extra) -> services.PipelineRequest:
    return services.PipelineRequest(
        dataset=dataset,
        steps=[services.StepRequest(*step) for step in steps],
        name=extra.pop("name", "prep"),
        input_paths=extra.pop("input_paths", ["data.csv"]),
        **extra,
    )


def simulate(step: Run, files: dict[str, bytes]) -> None:
    """What a run worker does for a step: run it, upload its outputs, mark it succeeded."""
    Run.objects.filter(pk=step.pk).update(status=Status.COLLECTING)
    step.refresh_from_db()
    for path, data in files.items():
        services.store_artifact(step, path, io.BytesIO(data), len(data), None)
    Run.objects.filter(pk=step.pk).update(status=Status.SUCCEEDED)


def run_through(people, dataset, steps, outputs, **extra) -> PipelineRun:
    """Start a pipeline and play every step that the cache did not serve."""
    pipeline_run = services.start_pipeline(people.owner, request(dataset, steps, **extra))
    for number, files in enumerate(outputs, 1):
        data_pipelines.advance_through_cache(pipeline_run)
        step = pipeline_run.steps.get(step=number)
        if step.status == Status.QUEUED:
            simulate(step, files)
    data_pipelines.advance_through_cache(pipeline_run)
    return services.finish_if_complete(pipeline_run)


STEPS = [("olivia/normalise", 1, {"ratio": 2}), ("olivia/split", 1, {"ratio": 0.8})]
OUTPUTS = [{"norm.csv": b"a,b\n0.5,1\n"}, {"train.csv": b"a\n0.5\n", "test.csv": b"b\n1\n"}]


# -- refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([("olivia/net", 1, {})], "models run in experiments"),
        ([("olivia/charts", 1, {})], "visualizations run as visualizations"),
        ([("olivia/broken", 1, {})], r"is not published \(failed\)"),
        ([("oscar/secret", 1, {})], "no module .oscar/secret. that you may read"),
        ([("olivia/normalise", 1, {"ratio": "lots"})], "Parameter 'ratio': expected a number"),
        ([("olivia/normalise", 1, {"nope": 1})], "no such parameter"),
        ([("olivia/normalise", 7, {})], "has no version 7"),
        ([], "at least one step"),
    ],
)
def test_it_refuses_what_is_not_a_runnable_data_operation(
    people, dataset, operations, steps, message
):
    publish(people, "net", kind="model")
    publish(people, "charts", kind="data-visualization")
    broken = publish(people, "broken")
    Publication.objects.filter(pk=broken.pk).update(status=PublicationStatus.FAILED)
    module_services.create_module(
        people.outsider, name="secret", slug="secret", kind="data-operation",
        data_types=["tabular"], visibility="private",
    )  # fmt: skip
    with pytest.raises(services.RunError, match=message):
        services.start_pipeline(people.owner, request(dataset, steps))
    assert not PipelineRun.objects.exists()


def test_it_needs_write_access_to_commit_to_the_dataset(people, dataset, operations):
    with pytest.raises(services.RunError, match="write access"):
        services.start_pipeline(people.outsider, request(dataset, STEPS))


# -- chain, cache, commit ---------------------------------------------------------------------
def test_step_one_reads_the_inputs_and_step_two_the_output_of_step_one(
    people, dataset, operations, no_queue
):
    pipeline_run = services.start_pipeline(people.owner, request(dataset, STEPS))
    assert no_queue == [pipeline_run]
    first, second = pipeline_run.steps.order_by("step")
    assert first.command[:2] == ["--input-path", "/mlreef/input/data.csv"]
    assert second.command[:2] == ["--input-path", "/mlreef/input"]
    assert first.cache_key and not second.cache_key  # step 2's input is not known yet
    assert first.kind == "data-operation" and second.parameters == {"ratio": 0.8}


def test_the_last_output_is_committed_on_a_new_branch_with_the_recipe(
    people, dataset, operations, settings
):
    settings.LFS_UPLOAD_THRESHOLD = 5
    outputs = [OUTPUTS[0], {"train.csv": b"a\n0.5\n", "tiny": b"ab"}]
    pipeline_run = run_through(people, dataset, STEPS, outputs)
    assert pipeline_run.status == Status.SUCCEEDED, pipeline_run.failure_reason
    assert pipeline_run.branch == "data-pipeline/prep-1"
    repository = dataset.repository
    assert repository.resolve(pipeline_run.branch) == pipeline_run.result_commit
    info = repository.commit_info(pipeline_run.branch)
    message = repository._repo.commit(pipeline_run.result_commit).message
    assert "olivia/normalise v1" in message and "olivia/split v1" in message
    assert operations[0].image_digest in message and '"ratio": 0.8' in message
    assert info.author_name == (people.owner.get_full_name() or people.owner.username)
    # The branch starts at the input commit; the big file is an LFS pointer, the tiny one not.
    assert repository.read_file(pipeline_run.branch, "data.csv") == b"a,b\n1,2\n"
    pointer = parse_pointer(repository.read_file(pipeline_run.branch, "train.csv"))
    assert pointer is not None and pointer.size == 6
    assert repository.read_file(pipeline_run.branch, "tiny") == b"ab"
    assert "train.csv" in repository.read_file(pipeline_run.branch, ".gitattributes").decode()


def test_an_unchanged_rerun_is_served_from_the_cache_and_a_changed_step_two_reruns_only_it(
    people, dataset, operations, no_queue
):
    run_through(people, dataset, STEPS, OUTPUTS)
    no_queue.clear()
    again = services.start_pipeline(people.owner, request(dataset, STEPS))
    assert no_queue == []  # nothing queued: no worker, no container
    assert again.status == Status.SUCCEEDED and again.cached
    assert again.branch == "data-pipeline/prep-2"
    changed = [STEPS[0], ("olivia/split", 1, {"ratio": 0.6})]
    third = services.start_pipeline(people.owner, request(dataset, changed))
    first, second = third.steps.order_by("step")
    assert first.cached and first.status == Status.SUCCEEDED
    assert second.status == Status.QUEUED and not second.cached and second.cache_key
    assert no_queue == [third]


def test_a_failing_step_stops_the_pipeline_and_nothing_is_committed(people, dataset, operations):
    pipeline_run = services.start_pipeline(people.owner, request(dataset, STEPS))
    first = pipeline_run.steps.get(step=1)
    simulate(first, OUTPUTS[0])
    Run.objects.filter(pk=first.pk).update(status=Status.FAILED, failure_reason="exit 1")
    data_pipelines.fail_pipeline(pipeline_run, "Step 1 failed: exit 1", step=1)
    pipeline_run.refresh_from_db()
    assert pipeline_run.status == Status.FAILED and pipeline_run.failed_step == 1
    assert pipeline_run.steps.get(step=2).status == Status.CANCELLED
    assert Artifact.objects.filter(run=first).exists()  # partial output kept
    assert "data-pipeline/prep-1" not in dataset.repository.branch_names()


# -- saved definitions ------------------------------------------------------------------------
def test_a_saved_pipeline_round_trips_through_yaml_in_the_repository(people, dataset, operations):
    steps = [{"module": m, "version": v, "parameters": p} for m, v, p in STEPS]
    document = {"name": "Prep", "ref": "master", "inputs": ["data.csv"], "steps": steps}
    definition = definitions.parse_document(document)
    definitions.save(people.owner, dataset, definition)
    text = dataset.repository.read_file("master", ".mlreef/pipelines/prep.yml")
    assert yaml.safe_load(text) == document
    # Edited with git: the next read sees the change.
    document["steps"][1]["parameters"] = {"ratio": 0.7}
    dataset.repository.commit_files(
        "master", {".mlreef/pipelines/prep.yml": yaml.safe_dump(document).encode()},
        "Edit", "Olivia", "o@x.org",
    )  # fmt: skip
    loaded = definitions.load_saved(dataset, "prep")
    assert loaded.steps[1].parameters == {"ratio": 0.7}
    assert [d.slug for d in definitions.list_saved(dataset)] == ["prep"]
    pipeline_run = definitions.run_saved(people.owner, dataset, "prep")
    assert pipeline_run.saved and pipeline_run.definition_commit == dataset.repository.resolve(
        "master"
    )
    with pytest.raises(services.RunError, match="models run in experiments"):
        publish(people, "net", kind="model")
        definitions.save(
            people.owner, dataset,
            definitions.parse_document({"name": "x", "steps": [{"module": "olivia/net"}]}),
        )  # fmt: skip


# -- API --------------------------------------------------------------------------------------
def test_the_api_saves_runs_and_reports_pipelines(client, people, dataset, operations):
    _, token = PersonalAccessToken.issue(people.owner, "ci", ["write"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    document = "name: Prep\ninputs: [data.csv]\nsteps:\n" + "".join(
        f"  - module: {m}\n    version: {v}\n    parameters: {json.dumps(p)}\n" for m, v, p in STEPS
    )
    url = "/api/v1/modules/olivia/table/pipelines/"
    response = client.post(url, document, content_type="application/yaml", **auth)
    assert response.status_code == 201, response.content
    assert client.get(url, **auth).json()[0]["steps"][0]["module"] == "olivia/normalise"
    response = client.post(url + "prep/run/", **auth)
    assert response.status_code == 202, response.content
    body = response.json()
    assert [s["step"] for s in body["steps"]] == [1, 2] and body["status"] == "queued"
    pipeline_id = body["id"]
    listed = client.get("/api/v1/pipeline-runs/?dataset=olivia/table", **auth).json()
    assert [run["id"] for run in listed["results"]] == [pipeline_id]
    assert client.get("/api/v1/visualizations/", **auth).json()["results"] == []
    assert client.get(f"/api/v1/pipeline-runs/{pipeline_id}/steps/", **auth).status_code == 200
    logs = client.get(f"/api/v1/pipeline-runs/{pipeline_id}/logs/", **auth).json()
    assert "Started by olivia" in logs["1"][0]
    bad = client.post(
        "/api/v1/pipeline-runs/",
        {"dataset": "olivia/table", "steps": [{"module": "olivia/normalise", "parameters":
                                               {"ratio": "x"}}]},
        content_type="application/json", **auth,
    )  # fmt: skip
    assert bad.status_code == 400 and "ratio" in bad.json()["detail"]
    cancelled = client.post(f"/api/v1/pipeline-runs/{pipeline_id}/cancel/", **auth)
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    # Only the pipeline's worker finishes it, with its own credential.
    assert client.post(f"/api/v1/pipeline-runs/{pipeline_id}/finish/", **auth).status_code == 403
    internal = issue_internal_token(people.owner, [f"pipeline-run:{pipeline_id}"], ("write",))
    response = client.post(
        f"/api/v1/pipeline-runs/{pipeline_id}/finish/", HTTP_AUTHORIZATION=f"Bearer {internal}"
    )
    assert response.status_code == 200  # already final: nothing changes
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/pipeline-runs/{pipeline_run_id}/" in schema
    assert "/api/v1/visualizations/" in schema


# -- visualizations ---------------------------------------------------------------------------
def test_visualization_outputs_are_shown_inline_and_html_is_sandboxed(
    client, people, dataset, operations
):
    publish(people, "charts", kind="data-visualization")
    with pytest.raises(services.RunError, match="Data Operations run as steps"):
        services.start_pipeline(
            people.owner,
            request(dataset, [("olivia/normalise", 1, {})], kind=PipelineKind.VISUALIZATION),
        )
    pipeline_run = services.start_pipeline(
        people.reader,
        request(dataset, [("olivia/charts", 1, {})], kind=PipelineKind.VISUALIZATION, name=""),
    )
    step = pipeline_run.steps.get()
    simulate(step, {"plot.png": b"\x89PNG\r\n", "page.html": b"<p>hi</p>", "data.bin": b"1"})
    pipeline_run = services.finish_if_complete(pipeline_run)
    assert pipeline_run.status == Status.SUCCEEDED and not pipeline_run.branch
    client.force_login(people.owner)
    page = client.get(pipeline_run.get_absolute_url()).content.decode()
    assert 'sandbox="allow-scripts"' in page and "allow-same-origin" not in page
    assert "<img src=" in page and "download" in page
    html = client.get(f"/pipelines/{pipeline_run.pk}/outputs/{step.pk}/page.html")
    policy = html["Content-Security-Policy"]
    assert html["Content-Type"].startswith("text/html")
    assert "sandbox allow-scripts" in policy and "allow-same-origin" not in policy
    assert "connect-src 'none'" in policy and html["X-Frame-Options"] == "SAMEORIGIN"
    binary = client.get(f"/pipelines/{pipeline_run.pk}/outputs/{step.pk}/data.bin")
    assert "attachment" in binary["Content-Disposition"]
    listing = client.get("/olivia/table/pipelines/").content.decode()
    assert "charts #1" in listing


def test_a_pipeline_whose_worker_died_is_failed_by_the_reaper(people, dataset, operations):
    from datetime import timedelta

    from django.utils import timezone

    pipeline_run = services.start_pipeline(people.owner, request(dataset, STEPS))
    PipelineRun.objects.filter(pk=pipeline_run.pk).update(status=Status.RUNNING)
    long_ago = timezone.now() - timedelta(hours=2)
    Run.objects.filter(pipeline_run=pipeline_run, step=1).update(
        status=Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    assert services.reap_stale_pipelines() == 1
    pipeline_run.refresh_from_db()
    assert pipeline_run.status == Status.FAILED and pipeline_run.failed_step == 1
    assert "No sign of life" in pipeline_run.failure_reason
    assert pipeline_run.steps.get(step=2).status == Status.CANCELLED
