"""Experiments without a Docker engine: parameters, metrics formats, refusals, cache, API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db.models import RestrictedError
from django.utils import timezone

from accounts.internal import issue_internal_token
from accounts.models import PersonalAccessToken
from modules import services as module_services
from pipelines import metrics, parameters, services
from pipelines.models import Artifact, Metric, Run, Status
from publishing.models import BaseEnvironment, Publication
from publishing.models import Status as PublicationStatus

SCHEMA = [
    {"name": "input_path", "flags": ["--input-path"], "action": "store", "type": None,
     "nargs": None, "default": None, "required": True, "choices": None, "visible": True},
    {"name": "output_path", "flags": ["--output-path"], "action": "store", "type": None,
     "nargs": None, "default": None, "required": True, "choices": None, "visible": True},
    {"name": "epochs", "flags": ["--epochs", "-e"], "action": "store", "type": "int",
     "nargs": None, "default": 3, "required": False, "choices": None, "visible": True},
    {"name": "lr", "flags": ["--lr"], "action": "store", "type": "float", "nargs": None,
     "default": 0.1, "required": False, "choices": None, "visible": True},
    {"name": "sizes", "flags": ["--sizes"], "action": "store", "type": "int", "nargs": "+",
     "default": [1, 2], "required": False, "choices": None, "visible": True},
    {"name": "verbose", "flags": ["--verbose"], "action": "store_true", "type": "bool",
     "nargs": 0, "default": False, "required": False, "choices": None, "visible": True},
    {"name": "cache", "flags": ["--no-cache"], "action": "store_false", "type": "bool",
     "nargs": 0, "default": True, "required": False, "choices": None, "visible": True},
    {"name": "mode", "flags": ["--mode"], "action": "store", "type": None, "nargs": None,
     "default": "a", "required": False, "choices": ["a", "b"], "visible": True},
    {"name": "seed", "flags": ["--seed"], "action": "store", "type": "int", "nargs": None,
     "default": 7, "required": False, "choices": None, "visible": False},
]  # fmt: skip

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(autouse=True)
def no_queue(monkeypatch):
    """Record what would be queued (at commit); tests run the task body themselves."""
    queued = []
    monkeypatch.setattr(services.experiments, "_enqueue", queued.append)
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, *a, **k: func())
    return queued


@pytest.fixture
def dataset(people):
    module = module_services.create_module(
        people.owner, name="Cats", slug="cats", kind="dataset", data_types=["image"]
    )
    module.repository.commit_files(
        "master",
        {"images/a.txt": b"a\n", "images/b.txt": b"b\n", "labels.csv": b"x,y\n"},
        "Data",
        "Olivia",
        "o@example.com",
    )
    return module


def publish(people, kind: str = "model", slug: str = "net") -> Publication:
    module = module_services.create_module(
        people.owner, name=slug, slug=slug, kind=kind, data_types=["image"]
    )
    environment, _ = BaseEnvironment.objects.get_or_create(
        name="python-3.11", defaults={"image": "mlreef/python:3.11", "python_version": "3.11"}
    )
    return Publication.objects.create(
        module=module,
        version=1,
        commit_sha="0" * 40,
        entrypoint="train.py",
        parameters=SCHEMA,
        base_environment=environment,
        builder="docker",
        image_reference=f"127.0.0.1:5000/olivia/{slug}:1",
        image_digest=DIGEST,
        status=PublicationStatus.PUBLISHED,
    )


def start(people, dataset, publication, **options) -> Run:
    return services.start_run(
        people.owner,
        services.StartRequest(dataset=dataset, publication=publication, **options),
    )


# -- parameters -------------------------------------------------------------------------------
def test_it_builds_the_command_as_argparse_defines_it():
    values = parameters.validate(
        SCHEMA, {"epochs": "5", "sizes": "3 4", "verbose": True, "cache": False}
    )
    assert values == {
        "epochs": 5, "lr": 0.1, "sizes": [3, 4], "verbose": True, "cache": False,
        "mode": "a", "seed": 7,
    }  # fmt: skip
    assert parameters.command(SCHEMA, values, "/in", "/out") == [
        "--input-path", "/in", "--output-path", "/out", "--epochs", "5", "--lr", "0.1",
        "--sizes", "3", "4", "--verbose", "--no-cache", "--mode", "a", "--seed", "7",
    ]  # fmt: skip
    resting = parameters.validate(SCHEMA, {})
    command = parameters.command(SCHEMA, resting, "/in", "/out")
    assert "--verbose" not in command and "--no-cache" not in command


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"epochs": "many"}, "epochs"),
        ({"epochs": 1.5}, "epochs"),
        ({"lr": True}, "lr"),
        ({"mode": "c"}, "mode"),
        ({"sizes": []}, "sizes"),
        ({"verbose": "maybe"}, "verbose"),
        ({"nope": 1}, "nope"),
        ({"seed": 1}, "seed"),
        ({"output_path": "/etc"}, "output_path"),
    ],
)
def test_it_refuses_values_that_do_not_fit_the_schema(values, named):
    with pytest.raises(parameters.ParameterError) as error:
        parameters.validate(SCHEMA, values)
    assert error.value.name == named and named in str(error.value)


# -- metrics ----------------------------------------------------------------------------------
def test_it_reads_both_mlreef_experiment_formats():
    keyed = {"0": {"acc": 0.5, "loss": 0.9}, "1": {"acc": 0.7, "loss": 0.4, "note": "x"}}
    listed = [{"epoch": 0, "loss": 0.9}, {"epoch": 1, "loss": 0.4, "ok": True}]
    assert sorted(metrics.parse_experiment(keyed)) == [
        ("acc", 0, 0.5), ("acc", 1, 0.7), ("loss", 0, 0.9), ("loss", 1, 0.4),
    ]  # fmt: skip
    assert metrics.parse_experiment(listed) == [("loss", 0, 0.9), ("loss", 1, 0.4)]
    assert metrics.parse_experiment({"history": listed}) == [("loss", 0, 0.9), ("loss", 1, 0.4)]


def test_a_partial_experiment_file_is_skipped_not_fatal(tmp_path):
    path = tmp_path / "experiment.json"
    path.write_text('{"0": {"loss": 0.9}, "1": {"lo')
    with pytest.raises(metrics.MetricsError):
        metrics.read_experiment_file(path)
    assert metrics.parse_stdout_line('{"epoch": 3, "loss": 0.2}') == {"epoch": 3, "loss": 0.2}
    assert metrics.parse_stdout_line('{"epoch": 3, "loss"') is None
    assert metrics.parse_stdout_line("Epoch 3 done") is None


def test_metric_points_are_stored_once(people, dataset):
    run = start(people, dataset, publish(people))
    recorder = metrics.MetricRecorder(run)
    assert recorder.record([("loss", 0, 0.9), ("loss", 1, 0.5)]) == 2
    assert recorder.record([("loss", 0, 0.9), ("loss", 1, 0.5), ("loss", 2, 0.3)]) == 1
    assert recorder.record_stdout({"loss": 0.1, "acc": 0.8}) == 1  # loss@0 exists; acc@0 new
    assert metrics.summary(run)["loss"] == {"final": 0.3, "best": 0.3, "steps": 3}


# -- starting ---------------------------------------------------------------------------------
def test_a_run_records_everything_that_defines_it(people, dataset, no_queue):
    publication = publish(people)
    run = start(
        people, dataset, publication, input_paths=["images"], parameters={"epochs": 2},
        memory_limit_mb=256,
    )  # fmt: skip
    assert no_queue == [run] and run.status == Status.QUEUED and run.queue == "runs"
    assert run.dataset_commit == dataset.repository.resolve("master")
    assert run.image == f"127.0.0.1:5000/olivia/net@{DIGEST}"
    assert run.command[:4] == ["--input-path", "/mlreef/input/images", "--output-path",
                               "/mlreef/output"]  # fmt: skip
    assert run.parameters["epochs"] == 2 and run.memory_limit_mb == 256


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"parameters": {"epochs": "x"}}, "Parameter 'epochs'"),
        ({"input_paths": ["missing"]}, "does not exist"),
        ({"input_paths": ["../etc"]}, "Input path"),
        ({"ref": "nope"}, "No branch"),
        ({"memory_limit_mb": 10**9}, "at most"),
        ({"cpu_limit": -1}, "positive"),
    ],
)
def test_bad_choices_are_refused_before_queueing(people, dataset, no_queue, options, message):
    with pytest.raises(services.RunError, match=message):
        start(people, dataset, publish(people), **options)
    assert not no_queue and not Run.objects.exists()


@pytest.mark.parametrize(
    ("kind", "where"),
    [("data-operation", "data pipeline"), ("data-visualization", "visualizations")],
)
def test_only_model_modules_run_as_experiments(people, dataset, kind, where):
    with pytest.raises(services.RunError, match=where):
        start(people, dataset, publish(people, kind=kind, slug="op"))


def test_an_identical_run_is_served_from_the_cache(people, dataset, no_queue):
    publication = publish(people)
    first = start(people, dataset, publication, parameters={"epochs": 2})
    Metric.objects.create(run=first, key="loss", step=0, value=0.5)
    Artifact.objects.create(run=first, path="model.bin", size=3, digest="sha256:" + "c" * 64)
    Run.objects.filter(pk=first.pk).update(status=Status.SUCCEEDED, exit_code=0)
    second = start(people, dataset, publication, parameters={"epochs": 2})
    assert second.status == Status.SUCCEEDED and second.cached_from == first
    assert list(second.metrics.values_list("key", "step", "value")) == [("loss", 0, 0.5)]
    assert list(second.artifacts.values_list("path", flat=True)) == ["model.bin"]
    assert no_queue == [first]
    assert start(people, dataset, publication, parameters={"epochs": 3}).status == Status.QUEUED
    opted_out = start(people, dataset, publication, parameters={"epochs": 2}, use_cache=False)
    assert opted_out.status == Status.QUEUED and not opted_out.cached


def test_a_model_module_that_ran_is_deleted_with_its_runs(people, dataset, client):
    publication = publish(people)
    run = start(people, dataset, publication)
    with pytest.raises(RestrictedError):  # a version that ran is not deleted on its own
        publication.delete()
    token = PersonalAccessToken.issue(people.owner, "t", ["read", "write"])[1]
    response = client.delete(
        f"/api/v1/modules/{publication.module.full_name}/", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 204
    assert not Run.objects.filter(pk=run.pk).exists()
    assert not Publication.objects.filter(pk=publication.pk).exists()


def test_a_silent_run_is_failed_after_the_timeout(people, dataset, settings):
    run = start(people, dataset, publish(people))
    Run.objects.filter(pk=run.pk).update(
        status=Status.RUNNING, heartbeat_at=timezone.now() - timedelta(seconds=200)
    )
    settings.RUN_HEARTBEAT_TIMEOUT = 100
    assert services.reap_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == Status.FAILED and run.failure_kind == "platform"


# -- API --------------------------------------------------------------------------------------
def api_post(client, token, path, body):
    return client.post(
        path, json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip


def test_the_api_starts_lists_and_refuses_with_the_parameter_named(client, people, dataset):
    publish(people)
    _, token = PersonalAccessToken.issue(people.owner, "ci", ["write"])
    body = {"dataset": "olivia/cats", "module": "olivia/net", "version": 1}
    response = api_post(client, token, "/api/v1/runs/", {**body, "parameters": {"epochs": "x"}})
    assert response.status_code == 400 and "epochs" in response.json()["detail"]
    response = api_post(client, token, "/api/v1/runs/", body)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    run_id = response.json()["id"]
    listed = client.get("/api/v1/runs/?dataset=olivia/cats", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [r["id"] for r in listed.json()["results"]] == [run_id]
    cancelled = api_post(client, token, f"/api/v1/runs/{run_id}/cancel/", {})
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"


def test_only_the_runs_worker_uploads_artifacts(client, people, dataset, settings):
    run = start(people, dataset, publish(people))
    Run.objects.filter(pk=run.pk).update(status=Status.COLLECTING)
    _, personal = PersonalAccessToken.issue(people.owner, "ci", ["write"])
    other = issue_internal_token(people.owner, [f"run:{run.pk + 1}"], ("write",))
    mine = issue_internal_token(people.owner, [run.resource], ("write",))
    url = f"/api/v1/runs/{run.pk}/artifacts/out/model.bin"
    for token in (personal, other):
        response = client.put(url, b"abc", content_type="application/octet-stream",
                              HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
        assert response.status_code == 403
    response = client.put(url, b"abc", content_type="application/octet-stream",
                          HTTP_AUTHORIZATION=f"Bearer {mine}")  # fmt: skip
    assert response.status_code == 201 and response.json()["size"] == 3
    settings.RUN_ARTIFACT_LIMIT = 5  # bytes per run: 3 are kept, 3 more do not fit
    too_big = client.put(url + ".2", b"def", content_type="application/octet-stream",
                         HTTP_AUTHORIZATION=f"Bearer {mine}")  # fmt: skip
    assert too_big.status_code == 413 and run.artifacts.count() == 1
    download = client.get(url, HTTP_AUTHORIZATION=f"Bearer {personal}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"abc"
    assert client.get("/api/v1/schema/").content.count(b"/api/v1/runs/") >= 5


# -- pages ------------------------------------------------------------------------------------
def test_the_start_form_validates_then_the_pages_show_the_run(client, people, dataset):
    from tests.test_csp import inline_code

    publication = publish(people)
    client.force_login(people.owner)
    form = client.get(f"/experiments/new/?dataset=olivia/cats&version={publication.pk}")
    html = form.content.decode()
    assert form.status_code == 200 and 'name="param-epochs"' in html
    assert 'name="param-seed"' not in html  # hidden parameters keep their defaults
    assert 'value="images"' in html and inline_code(html) == []
    fields = {"dataset": "olivia/cats", "ref": "master", "version": publication.pk}
    bad = client.post("/experiments/new/", {**fields, "param-epochs": "lots"})
    assert bad.status_code == 400 and "Parameter &#x27;epochs&#x27;" in bad.content.decode()
    good = client.post(
        "/experiments/new/",
        {**fields, "param-epochs": "4", "input_path": ["images"], "param-verbose": "on"},
    )
    run = Run.objects.get()
    assert good.status_code == 302 and good["Location"] == run.get_absolute_url()
    assert run.parameters["epochs"] == 4 and run.parameters["verbose"] is True
    assert run.use_cache is False  # the box was not ticked
    page = client.get(run.get_absolute_url()).content.decode()
    assert "--epochs 4" in page and inline_code(page) == []
    listing = client.get("/olivia/cats/experiments/").content.decode()
    assert f'value="{run.pk}"' in listing
    compare = client.get(f"/experiments/compare/?run={run.pk}")
    assert compare.status_code == 200 and inline_code(compare.content.decode()) == []
    client.logout()
    client.force_login(people.outsider)
    assert client.get(run.get_absolute_url()).status_code == 200  # public dataset and module
