"""The Docker builder, sandboxed: wheels fetched on the worker, the build has no network.

Builds run in this process (``services.run_publication``) with the real engine and registry.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid

import pytest

from modules.file_templates import TEMPLATES
from publishing import services
from publishing.builders import BuildRequest, BuildUserError
from publishing.builders.docker import DockerBuilder
from publishing.models import BaseEnvironment, Publication, Status
from publishing.oci.client import RegistryClient
from tests.conftest import BASE_IMAGE

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TRAIN = TEMPLATES["model"].render()


@pytest.fixture
def docker_builder(settings, docker_engine, registry, tmp_path, monkeypatch):
    settings.IMAGE_BUILDER = "docker"
    settings.REGISTRY_URL = registry
    settings.BUILD_CACHE_DIR = tmp_path / "cache"
    settings.PUBLISH_PUSH_RETRIES = 1
    monkeypatch.setattr(services.starting, "_enqueue", lambda pk: None)
    BaseEnvironment.objects.create(name="python-3.11", image=BASE_IMAGE, python_version="3.11")
    return RegistryClient(registry)


@pytest.fixture
def module(public_module):
    from modules import services as module_services

    return module_services.update_module(public_module, slug=f"dock-{uuid.uuid4().hex[:8]}")


def publish(module) -> Publication:
    publication = services.start_publication(
        module,
        module.owner,
        services.PublishRequest(
            ref="master", entrypoint="train.py", base_environment="python-3.11", write_config=False
        ),
    )
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    return publication


def commit(module, files: dict[str, str]) -> None:
    module.repository.commit_files(
        "master", {k: v.encode() for k, v in files.items()}, "Change", "Olivia", "o@example.com"
    )


def log_text(publication: Publication) -> str:
    return "\n".join(publication.lines.values_list("text", flat=True))


def test_it_installs_wheels_fetched_by_the_worker_with_no_network_in_the_build(
    docker_builder, module, tmp_path, settings
):
    commit(module, {"train.py": TRAIN, "requirements.txt": "six==1.16.0\n"})
    first = publish(module)
    log = log_text(first)
    assert first.status == Status.PUBLISHED, log
    assert "pip download --only-binary=:all:" in log and "six-1.16.0-py2.py3-none-any.whl" in log
    assert "ARG" not in log and "PIP_INDEX_URL" not in log
    assert sorted(docker_builder.tags(module.full_name)) == ["1", "latest"]
    reference = f"{settings.REGISTRY_URL}/{module.full_name}:1"
    subprocess.run(["docker", "pull", "-q", reference], check=True, capture_output=True)
    history = subprocess.run(
        ["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", reference],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "PIP_INDEX_URL" not in history and "ca-bundle" not in history
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    outputs.chmod(0o777)
    run = subprocess.run(
        [
            *("docker", "run", "--rm", "--network", "none"),
            *("-v", f"{inputs}:/in:ro", "-v", f"{outputs}:/out", reference),
            *("--input-path", "/in", "--output-path", "/out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    subprocess.run(["docker", "rmi", "-f", reference], capture_output=True)
    assert run.returncode == 0, run.stderr
    assert json.loads((outputs / "experiment.json").read_text())["parameters"]

    # A code-only change reuses the dependency layer from the engine's cache.
    commit(module, {"train.py": TRAIN + "\n# tweak\n"})
    second = publish(module)
    second_log = log_text(second)
    assert second.status == Status.PUBLISHED, second_log
    after_pip_step = re.search(
        r"Step \d+/\d+ : RUN set -e; cd /opt/mlreef/wheelhouse.*\n(.*)\n", second_log
    )
    assert after_pip_step and "Using cache" in after_pip_step.group(1)
    assert "Wheels reused from the cache (pip not run)" in second_log


def test_a_build_step_cannot_connect_to_the_host(docker_builder, listener, tmp_path):
    port = listener.getsockname()[1]
    context = tmp_path / "context"
    (context / "code").mkdir(parents=True)
    (context / "code" / "requirements.txt").write_text("")
    (context / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\n"
        f"RUN python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 3)\"\n"
    )
    builder = DockerBuilder()
    request = BuildRequest(
        context, "Dockerfile", f"127.0.0.1:1/sandbox/t{uuid.uuid4().hex[:6]}", ["1"]
    )
    lines: list[str] = []
    with pytest.raises(BuildUserError, match="A build step failed"):
        builder.build(request, lambda text, important=False: lines.append(text))
    builder.cleanup(request)
    assert any("Connection refused" in line or "unreachable" in line for line in lines), lines
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing reached the host


def test_an_sdist_never_runs_in_the_docker_builder_either(
    docker_builder, module, settings, local_index, listener
):
    settings.BUILD_PIP_INDEX_URL = local_index
    commit(module, {"train.py": TRAIN, "requirements.txt": "phonehome==1.0\n"})
    publication = publish(module)
    assert publication.status == Status.FAILED and publication.failure_kind == "user"
    assert "only as a source distribution (sdist)" in publication.failure_reason
    assert docker_builder.tags(module.full_name) == []
    with pytest.raises(BlockingIOError):
        listener.accept()
