"""The registry client against the hub's own registry (Bearer token flow) through gunicorn."""

from __future__ import annotations

import hashlib
import json

import pytest

from publishing.oci.client import OCI_CONFIG, OCI_MANIFEST, RegistryClient, RegistryError
from publishing.oci.layers import canonical_json
from tests.conftest import PASSWORD, make_module

pytestmark = pytest.mark.django_db(transaction=True)


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_it_pushes_by_digest_mounts_and_pulls_through_the_token_flow(hub, people, tmp_path):
    people.owner.is_superuser = True  # site administrators may push (as for base images)
    people.owner.save()
    source = make_module(people, "first", "public")
    target = make_module(people, "second", "private")
    admin = RegistryClient(hub.url, username=people.owner.username, password=PASSWORD)
    layer = tmp_path / "layer"
    layer.write_bytes(b"layer bytes " * 100_000)
    layer_digest = sha(layer.read_bytes())
    config = canonical_json({"architecture": "amd64", "os": "linux", "rootfs": {}})
    sent: list[int] = []

    assert not admin.blob_exists(source.full_name, layer_digest)
    admin.upload_blob(source.full_name, layer_digest, layer, progress=sent.append)
    admin.upload_blob(source.full_name, sha(config), iter([config[:5], config[5:]]), len(config))
    assert sent[-1] == layer.stat().st_size
    assert admin.blob_exists(source.full_name, layer_digest)
    manifest = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha(config), "size": len(config)},
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest,
                    "size": layer.stat().st_size,
                }
            ],
        }
    )
    digest = admin.put_manifest(source.full_name, sha(manifest), manifest, OCI_MANIFEST)
    assert admin.tags(source.full_name) == []  # pushed by digest: no tag yet

    # Anonymous pulls of a public module go through the token flow with no credentials.
    anonymous = RegistryClient(hub.url)
    body, media_type, got = anonymous.get_manifest(source.full_name, digest)
    assert (body, media_type, got) == (manifest, OCI_MANIFEST, digest)
    assert json.loads(anonymous.read_blob(source.full_name, sha(config)))["os"] == "linux"

    # A blob of one repository is mounted into another, not uploaded again.
    assert admin.mount_blob(target.full_name, layer_digest, source.full_name)
    assert admin.blob_exists(target.full_name, layer_digest)
    with pytest.raises(RegistryError) as refused:
        anonymous.get_manifest(target.full_name, digest)
    assert refused.value.status in (401, 404)
