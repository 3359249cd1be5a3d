"""Publishing end to end with the real pieces: git over HTTP, a Celery worker process running the
daemonless builder with no Docker engine reachable, the hub's built-in registry (and once Debian's
distribution registry), skopeo, then docker pull + docker run with the real engine, and headless
Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
import uuid

import pytest
import yaml
from django.db import connections

from accounts.models import PersonalAccessToken
from modules.file_templates import TEMPLATES
from publishing import services
from publishing.models import BaseEnvironment, Publication, Status
from publishing.registry import ExternalRegistry, get_registry
from registry.models import Tag
from tests.conftest import BASE_IMAGE, PASSWORD
from tests.helpers import url_with_credentials

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TRAIN = TEMPLATES["model"].render()
INFER = TRAIN.replace("def main(", "print('inference ran')\n\n\ndef main(", 1)


@pytest.fixture
def module(public_module):
    """The registry lives for the whole run: give each test its own image repository."""
    from modules import services as module_services

    return module_services.update_module(public_module, slug=f"net-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def stack(settings, docker_engine, hub_base, celery_worker, hub, people):
    """Images go to the hub's own registry, as with REGISTRY_URL unset in production."""
    settings.REGISTRY_URL = ""
    settings.PUBLIC_URL = hub.url
    BaseEnvironment.objects.create(
        name="python-3.11",
        image=BASE_IMAGE,
        python_version="3.11",
        description="Debian bookworm, CPU",
    )
    return hub.url.split("://", 1)[1]


def tag_digest(module, tag: str) -> str | None:
    found = Tag.objects.filter(repository__module=module, name=tag).first()
    return found.manifest.digest if found else None


def push_code(hub, git_client, module, user, tmp_path, files: dict[str, str]) -> None:
    work = git_client.new_work_tree(tmp_path / f"w-{uuid.uuid4().hex[:6]}", files)
    url = url_with_credentials(hub.url, module.clone_path(), user.username, PASSWORD)
    git_client.run("push", url, "master", cwd=work)


def change_and_push(hub, git_client, module, user, tmp_path, files: dict[str, str]) -> None:
    url = url_with_credentials(hub.url, module.clone_path(), user.username, PASSWORD)
    work = tmp_path / f"clone-{uuid.uuid4().hex[:6]}"
    git_client.run("clone", "-q", url, str(work))
    for name, content in files.items():
        (work / name).write_text(content)
    git_client.run("commit", "-qam", "Change code", cwd=work)
    git_client.run("push", "-q", "origin", "master", cwd=work)


def api(hub, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        hub.url + path,
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait_until_final(publication_id: int, timeout: float = 900) -> Publication:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        publication = Publication.objects.get(pk=publication_id)
        if publication.is_final:
            return publication
        time.sleep(0.5)
    raise AssertionError(f"publication {publication_id} still {publication.status}")


def log_text(publication: Publication) -> str:
    return "\n".join(publication.lines.values_list("text", flat=True))


def skopeo_labels(reference: str) -> dict:
    result = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{reference}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)["Labels"]


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_publish_through_the_api_pull_and_run_the_image(
    stack, hub, git_client, module, people, tmp_path, docker_engine
):
    push_code(
        hub,
        git_client,
        module,
        people.owner,
        tmp_path,
        {"train.py": TRAIN, "infer.py": INFER, "requirements.txt": "six==1.16.0\n"},
    )
    _, token = PersonalAccessToken.issue(people.owner, "ci", ["write"])
    path = f"/api/v1/modules/{module.full_name}/publications/"
    status, body = api(
        hub,
        token,
        "POST",
        path,
        {
            "entrypoint": "train.py",
            "inference_entrypoint": "infer.py",
            "base_environment": "python-3.11",
            "hidden_parameters": ["learning_rate"],
        },
    )
    assert status == 202 and body["status"] == "queued"
    publication = wait_until_final(body["id"])
    assert publication.status == Status.PUBLISHED, log_text(publication)
    log = log_text(publication)
    assert "pip install --only-binary=:all:" in log and "== pushing ==" in log
    assert "Dockerfile" not in log  # no engine was involved

    reference = f"{stack}/{module.full_name}:1"
    assert publication.image_reference == reference
    assert publication.image_digest.startswith("sha256:")
    assert get_registry().tags(module) == ["1", "latest"]  # no build tag left
    assert Tag.objects.get(repository__module=module, name="1").immutable
    config_file = yaml.safe_load(module.repository.read_file("master", "mlreef.yml"))
    assert publication.commit_sha == module.repository.resolve("master")
    assert module.repository.commit_info("master").author_name == "olivia"
    assert config_file["entrypoints"]["training"]["path"] == "train.py"

    labels = skopeo_labels(reference)
    assert labels["org.opencontainers.image.revision"] == publication.commit_sha
    assert "org.opencontainers.image.version" not in labels  # the version is the tag
    assert labels["org.opencontainers.image.title"] == module.name
    assert labels["ai.mlreef.kind"] == "model"
    assert labels["ai.mlreef.inference_entrypoint"] == "infer.py"
    parameters = json.loads(labels["ai.mlreef.parameters"])
    assert [(p["name"], p["visible"]) for p in parameters][-1] == ("learning_rate", False)

    # The builder forgets its local tags; pull from the registry, run without a network.
    assert not docker_engine.images(name=reference)
    subprocess.run(["docker", "pull", "-q", reference], check=True, capture_output=True)
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    (inputs / "sample.txt").write_text("cat\n")
    outputs.chmod(0o777)
    run = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            f"{inputs}:/in:ro",
            "-v",
            f"{outputs}:/out",
            reference,
            "--input-path",
            "/in",
            "--output-path",
            "/out",
            "--epochs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    experiment = json.loads((outputs / "experiment.json").read_text())
    assert experiment["parameters"]["epochs"] == 2 and len(experiment["history"]) == 2
    # The inference entry point runs through the image's Python.
    inference = subprocess.run(
        [
            *("docker", "run", "--rm", "--network", "none", "--entrypoint", "python"),
            *("-v", f"{inputs}:/in:ro", "-v", f"{outputs}:/out", reference),
            *("/app/infer.py", "--input-path", "/in", "--output-path", "/out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert inference.returncode == 0, inference.stderr
    assert "inference ran" in inference.stdout
    subprocess.run(["docker", "rmi", "-f", reference], capture_output=True)
    page = urllib.request.urlopen(hub.url + publication.get_absolute_url(), timeout=30).read()
    assert b"--network none" in page and b"--entrypoint python" in page

    # A code-only change republishes on top of the cached dependency layer.
    change_and_push(
        hub, git_client, module, people.owner, tmp_path, {"train.py": TRAIN + "\n# tweak\n"}
    )
    status, body = api(
        hub, token, "POST", path, {"entrypoint": "train.py", "base_environment": "python-3.11"}
    )
    second = wait_until_final(body["id"])
    assert second.status == Status.PUBLISHED and second.version == 2
    assert "reused from the cache (pip not run)" in log_text(second)
    status, versions = api(hub, token, "GET", path)
    assert [v["version"] for v in versions] == [2, 1]
    assert tag_digest(module, "1") == publication.image_digest


@pytest.mark.parametrize(
    ("files", "choices", "reason"),
    [
        (
            {"train.py": TRAIN},
            {"requirements_path": "requirements.txt"},
            "requirements file 'requirements.txt' does not exist",
        ),
        (
            {
                "train.py": "import argparse\nparser = argparse.ArgumentParser(\n",
                "requirements.txt": "",
            },
            {},
            "syntax error",
        ),
        (
            {"train.py": TRAIN.replace('"--input-path"', '"--data"'), "requirements.txt": ""},
            {},
            "does not declare --input-path",
        ),
        (
            {"train.py": TRAIN, "requirements.txt": "mlreef-no-such-package-x7==1.0\n"},
            {},
            "does not exist on the package index",
        ),
    ],
    ids=["missing-requirements", "syntax-error", "missing-input-path", "unknown-requirement"],
)
def test_broken_modules_fail_with_the_reason(
    stack, hub, git_client, module, people, tmp_path, files, choices, reason
):
    push_code(hub, git_client, module, people.owner, tmp_path, files)
    publication = services.start_publication(
        module,
        people.owner,
        services.PublishRequest(
            ref="master", entrypoint="train.py", base_environment="python-3.11", **choices
        ),
    )
    publication = wait_until_final(publication.pk)
    assert publication.status == Status.FAILED and publication.failure_kind == "user"
    assert reason in publication.failure_reason
    log = log_text(publication)
    assert reason in log
    if "package index" in reason:
        assert "No matching distribution found for mlreef-no-such-package-x7" in log
    assert get_registry().tags(module) == []


def test_registry_down_fails_after_retries(
    settings, docker_engine, module, people, tmp_path, git_client, hub, monkeypatch
):
    monkeypatch.setattr(
        services.starting, "_enqueue", lambda pk: None
    )  # run here, not in the worker
    from tests.helpers import free_port

    settings.IMAGE_BUILDER = "docker"
    settings.REGISTRY_URL = f"127.0.0.1:{free_port()}"  # nothing listens there
    settings.PUBLISH_PUSH_RETRIES = 2
    BaseEnvironment.objects.create(name="python-3.11", image=BASE_IMAGE, python_version="3.11")
    push_code(
        hub,
        git_client,
        module,
        people.owner,
        tmp_path,
        {"train.py": TRAIN, "requirements.txt": ""},
    )
    publication = services.start_publication(
        module,
        people.owner,
        services.PublishRequest(
            ref="master", entrypoint="train.py", base_environment="python-3.11", write_config=False
        ),
    )
    services.run_publication(publication.pk)  # in this process: the worker has its own registry
    publication.refresh_from_db()
    assert publication.status == Status.FAILED and publication.failure_kind == "platform"
    assert "after 2 attempts" in publication.failure_reason
    assert "retrying in 1 s" in log_text(publication)


def test_publishing_to_an_external_registry(
    settings, registry, registry_base, module, people, tmp_path, git_client, hub, monkeypatch
):
    """REGISTRY_URL set: the image goes to Debian's distribution registry instead."""
    monkeypatch.setattr(
        services.starting, "_enqueue", lambda pk: None
    )  # run here, not in the worker
    settings.REGISTRY_URL = registry
    settings.IMAGE_BUILDER = "auto"
    settings.BUILD_CACHE_DIR = tmp_path / "cache"
    BaseEnvironment.objects.create(name="python-3.11", image=BASE_IMAGE, python_version="3.11")
    push_code(
        hub, git_client, module, people.owner, tmp_path, {"train.py": TRAIN, "requirements.txt": ""}
    )
    publication = services.start_publication(
        module,
        people.owner,
        services.PublishRequest(
            ref="master", entrypoint="train.py", base_environment="python-3.11", write_config=False
        ),
    )
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED, log_text(publication)
    assert publication.image_reference == f"{registry}/{module.full_name}:1"
    external = get_registry()
    assert isinstance(external, ExternalRegistry)
    assert {"1", "latest"} <= set(external.tags(module))
    assert external.tag_digest(module, "1") == publication.image_digest
    assert not Tag.objects.filter(repository__module=module).exists()


def test_cancelling_a_build_leaves_no_tag(stack, hub, git_client, module, people, tmp_path):
    # A fresh requirements layer (unique comment) with a real download keeps the build busy.
    push_code(
        hub,
        git_client,
        module,
        people.owner,
        tmp_path,
        {"train.py": TRAIN, "requirements.txt": f"# {uuid.uuid4()}\nnumpy==2.1.3\npandas==2.2.3\n"},
    )
    publication = services.start_publication(
        module,
        people.owner,
        services.PublishRequest(
            ref="master", entrypoint="train.py", base_environment="python-3.11"
        ),
    )
    deadline = time.monotonic() + 300
    while Publication.objects.get(pk=publication.pk).status != Status.BUILDING:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    while "pip install --only-binary" not in log_text(publication):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    services.cancel_publication(Publication.objects.get(pk=publication.pk))
    publication = wait_until_final(publication.pk, timeout=120)
    assert publication.status == Status.CANCELLED, log_text(publication)
    assert "Successfully installed" not in log_text(publication)
    assert get_registry().tags(module) == []


@pytest.mark.browser
def test_publish_through_the_wizard_and_watch_the_live_log(
    stack, hub, git_client, module, people, tmp_path, chromium_path
):
    from tests.test_browser import CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    push_code(
        hub,
        git_client,
        module,
        people.owner,
        tmp_path,
        {"train.py": TRAIN, "requirements.txt": "six==1.16.0\n"},
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(hub.url + "/accounts/login/")
        page.fill("#id_username", "olivia")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(hub.url + module.get_absolute_url())
        page.click(".tabs >> text=Publish")
        page.select_option("#entrypoint", "train.py")
        page.click("button:has-text('Next: parameters')")
        table = page.inner_text("[data-testid=parameters]")
        assert "--learning-rate" in table and "--input-path" in table
        page.uncheck("input[aria-label='Show learning_rate']")
        page.click("button:has-text('Next: base environment')")
        page.check("input[value='python-3.11']")
        page.click("button:has-text('Next: review')")
        assert "learning_rate" in page.inner_text("[data-testid=review]")
        page.click("button:has-text('Start publishing')")
        page.wait_for_url("**/publications/1/")
        page.wait_for_selector("#log .line")  # lines arrive while it runs
        page.wait_for_function(
            # A function, not an expression: Playwright evals expressions, which the CSP refuses.
            "() => ['published', 'failed', 'cancelled'].includes("
            "document.getElementById('status').textContent)",
            timeout=600_000,
        )
        status = page.inner_text("[data-testid=status]")
        log = page.inner_text("[data-testid=log]")
        pull = page.inner_text("#pull")
        browser.close()
    connections.close_all()
    assert status == "published", log
    assert "== building ==" in log and "== published ==" in log
    assert pull.endswith(f"/{module.full_name}:1")
    publication = Publication.objects.get()
    assert publication.parameter_visibility == {"learning_rate": False}
    assert publication.published_by == people.owner
