"""The hub as token server of an external CNCF distribution registry (Debian's docker-registry
in ``auth: token`` mode, trusting the hub's certificate): the same rules apply there."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import requests
from django.core.management import call_command

from tests.conftest import PASSWORD, make_user
from tests.helpers import free_port, wait_for_port
from tests.oci import OCI_MANIFEST, OciClient, parse_challenge

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token_registry(hub, tmp_path, capsys):
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")
    call_command("registry_certificate")
    certificate = tmp_path / "hub.pem"
    certificate.write_text(capsys.readouterr().out)
    port = free_port()
    (tmp_path / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {tmp_path / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
        "auth:\n  token:\n"
        f"    realm: {hub.url}/v2/token\n"
        "    service: mlreef-registry\n"
        "    issuer: mlreef-hub\n"
        f"    rootcertbundle: {certificate}\n"
    )
    log = open(tmp_path / "registry.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [binary, "serve", str(tmp_path / "config.yml")], stdout=log, stderr=subprocess.STDOUT
    )
    wait_for_port(port, process)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=20)


def test_private_pulls_need_a_hub_token_with_pull(token_registry, hub, people, private_module):
    admin = make_user("ada")
    admin.is_superuser = True
    admin.save()
    name = private_module.full_name

    # Anonymous: the registry sends the client to the hub's realm.
    anonymous = requests.get(f"{token_registry}/v2/{name}/tags/list")
    assert anonymous.status_code == 401
    challenge = parse_challenge(anonymous.headers["WWW-Authenticate"])
    assert challenge["realm"] == f"{hub.url}/v2/token"

    # An administrator pushes an image through the external registry with a hub token.
    pusher = OciClient(hub.url, (admin.username, PASSWORD))
    pusher.base = token_registry
    pusher.strict = False
    token = OciClient(hub.url, (admin.username, PASSWORD)).token(f"repository:{name}:pull,push")
    pusher.session.headers["Authorization"] = f"Bearer {token}"
    digest, _ = pusher.push_image(name, "1", [b"private layer"])

    def pull_with(who: str | None) -> int:
        auth = (who, PASSWORD) if who else None
        hub_token = OciClient(hub.url, auth).token(f"repository:{name}:pull")
        headers = {"Authorization": f"Bearer {hub_token}", "Accept": OCI_MANIFEST}
        return requests.get(f"{token_registry}/v2/{name}/manifests/1", headers=headers).status_code

    assert pull_with(None) == 401  # an anonymous hub token grants nothing on a private module
    assert pull_with(people.outsider.username) == 401
    assert pull_with(people.reader.username) == 200
    assert pull_with(people.owner.username) == 200
    # The owner's token holds no push: the external registry refuses it too.
    owner_token = OciClient(hub.url, (people.owner.username, PASSWORD)).token(
        f"repository:{name}:pull,push"
    )
    refused = requests.post(
        f"{token_registry}/v2/{name}/blobs/uploads/",
        headers={"Authorization": f"Bearer {owner_token}"},
    )
    assert refused.status_code == 401
    assert digest.startswith("sha256:")
