"""A build worker on another machine: its own empty DATA_DIR, no Docker engine, only HTTP.

It fetches the commit over the hub's git HTTP with a short-lived internal credential, builds
with the daemonless builder and pushes to the registry; the database is the only thing it
shares with the hub.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connections

from modules.file_templates import TEMPLATES
from publishing import services
from publishing.models import BaseEnvironment, Publication, Status
from publishing.oci.client import RegistryClient
from tests.conftest import BASE_IMAGE
from tests.helpers import database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_worker_with_its_own_empty_data_dir_publishes(
    hub, registry, registry_base, public_module, tmp_path, monkeypatch
):
    from modules import services as module_services

    module = module_services.update_module(public_module, slug=f"far-{uuid.uuid4().hex[:8]}")
    module.repository.commit_files(
        "master",
        {"train.py": TEMPLATES["model"].render().encode(), "requirements.txt": b""},
        "Code",
        "Olivia",
        "o@example.com",
    )
    BaseEnvironment.objects.create(name="python-3.11", image=BASE_IMAGE, python_version="3.11")
    monkeypatch.setattr(services.starting, "_enqueue", lambda pk: None)
    publication = services.start_publication(
        module,
        module.owner,
        services.PublishRequest(
            ref="master", entrypoint="train.py", base_environment="python-3.11", write_config=False
        ),
    )
    worker_data = tmp_path / "worker-data"
    worker_data.mkdir()
    env = {
        **os.environ,
        "DATA_DIR": str(worker_data),
        "DATABASE_URL": database_url(dict(connections["default"].settings_dict)),
        "SECRET_KEY": settings.SECRET_KEY,  # the hub's key, as any deployment configures it
        "BUILD_HUB_URL": hub.url,
        "REGISTRY_URL": registry,
        "IMAGE_BUILDER": "auto",
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
    }
    code = (
        "import django; django.setup(); "
        "from publishing.tasks import run_publication_task; "
        f"run_publication_task.apply(args=[{publication.pk}])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "mlreef.settings"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    publication = Publication.objects.get(pk=publication.pk)
    log = "\n".join(publication.lines.values_list("text", flat=True))
    assert publication.status == Status.PUBLISHED, log
    assert f"Fetched over git HTTP from {hub.url}{module.clone_path()}" in log
    assert not any((worker_data / "repositories").iterdir())  # nothing of the hub's disk
    assert "mlri_" not in log
    client = RegistryClient(registry)
    assert client.manifest_digest(module.full_name, "1") == publication.image_digest
