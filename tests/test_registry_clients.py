"""Real clients against the built-in registry on the real gunicorn: the Docker engine
(login, push, pull; it speaks plain HTTP to registries on 127.0.0.0/8) and skopeo."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import uuid

import pytest

from accounts.models import PersonalAccessToken
from registry.models import Tag
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def admin(people):
    user = make_user("ada")
    user.is_superuser = user.is_staff = True
    user.save()
    return user


def tiny_image_tar() -> bytes:
    """A root file system of two files, one random (so every test pushes new bytes)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("hello.txt", b"hello\n"), ("random.bin", os.urandom(3 * 2**20))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class DockerCli:
    def __init__(self, home) -> None:
        self.binary = shutil.which("docker")
        if self.binary is None:
            pytest.skip("the docker command line is not installed")
        self.env = {**os.environ, "DOCKER_CONFIG": str(home)}

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.binary, *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def login(self, host: str, username: str, secret: str) -> subprocess.CompletedProcess:
        return self.run("login", host, "-u", username, "--password-stdin", stdin=secret)


@pytest.fixture
def image(docker_engine, hub, private_module):
    host = hub.url.split("://", 1)[1]
    reference = f"{host}/{private_module.full_name}:{uuid.uuid4().hex[:8]}"
    name, tag = reference.rsplit(":", 1)
    docker_engine.import_image_from_data(tiny_image_tar(), repository=name, tag=tag)
    yield reference
    try:
        docker_engine.remove_image(reference, force=True)
    except Exception:  # noqa: BLE001 - already removed by the test
        pass


def test_docker_login_push_pull_with_the_hubs_rules(
    hub, docker_engine, image, admin, people, private_module, tmp_path
):
    host = hub.url.split("://", 1)[1]
    cli = DockerCli(tmp_path / "docker")
    bad = cli.login(host, admin.username, "wrong password")
    assert bad.returncode != 0

    # The owner may not push: images are made by publishing.
    assert cli.login(host, people.owner.username, PASSWORD).returncode == 0
    refused = cli.run("push", image)
    assert refused.returncode != 0
    assert "made by publishing" in refused.stderr + refused.stdout

    assert cli.login(host, admin.username, PASSWORD).returncode == 0
    pushed = cli.run("push", image)
    assert pushed.returncode == 0, pushed.stderr
    tag = image.rsplit(":", 1)[1]
    assert Tag.objects.filter(repository__module=private_module, name=tag).exists()
    cli.run("rmi", image)

    # A read-scope personal token pulls the private image.
    _, secret = PersonalAccessToken.issue(people.reader, "pull", ["read"])
    assert cli.login(host, people.reader.username, secret).returncode == 0
    pulled = cli.run("pull", image)
    assert pulled.returncode == 0, pulled.stderr
    cli.run("rmi", image)

    assert cli.login(host, people.outsider.username, PASSWORD).returncode == 0
    hidden = cli.run("pull", image)
    assert hidden.returncode != 0 and "not found" in hidden.stderr.lower()

    cli.run("logout", host)
    anonymous = cli.run("pull", image)
    assert anonymous.returncode != 0


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_skopeo_copy_and_inspect_with_credentials(
    hub, docker_engine, image, admin, people, private_module, tmp_path
):
    host = hub.url.split("://", 1)[1]
    cli = DockerCli(tmp_path / "docker")
    assert cli.login(host, admin.username, PASSWORD).returncode == 0
    assert cli.run("push", image).returncode == 0

    def skopeo(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["skopeo", *args], capture_output=True, text=True, timeout=300, env=os.environ
        )

    reader = f"--creds={people.reader.username}:{PASSWORD}"
    inspected = skopeo("inspect", "--tls-verify=false", reader, f"docker://{image}")
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["Name"] == image.rsplit(":", 1)[0]
    outsider = skopeo(
        "inspect", "--tls-verify=false", f"--creds=oscar:{PASSWORD}", f"docker://{image}"
    )
    assert outsider.returncode != 0

    # Copy out, then back in under another tag as the administrator (skopeo's own uploads).
    copy_dir = tmp_path / "copy"
    source_creds = reader.replace("--creds", "--src-creds")
    out = skopeo(
        "copy", "--src-tls-verify=false", source_creds, f"docker://{image}", f"dir:{copy_dir}"
    )
    assert out.returncode == 0, out.stderr
    target = image.rsplit(":", 1)[0] + ":copied"
    back = skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"--dest-creds={admin.username}:{PASSWORD}",
        "--format=oci",
        f"dir:{copy_dir}",
        f"docker://{target}",
    )
    assert back.returncode == 0, back.stderr
    assert Tag.objects.filter(repository__module=private_module, name="copied").exists()
