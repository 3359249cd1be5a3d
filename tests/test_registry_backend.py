"""The built-in registry as publishing's registry: tags in the database, set by ``publish``."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from accounts.internal import verify_internal_token
from modules import services as module_services
from publishing.registry import TagError
from registry import services
from registry.backend import BuiltinRegistry
from registry.models import Tag
from registry.storage import blob_store
from tests.conftest import PASSWORD
from tests.oci import CONFIG, OCI_MANIFEST, digest_of
from tests.test_registry_permissions import basic

pytestmark = pytest.mark.django_db


def stored_manifest(module, tag: str, layer: bytes) -> str:
    repository = services.repository_for(module)
    config = b'{"os":"linux","n":' + str(len(layer)).encode() + b"}"
    for blob in (config, layer):
        services.ingest_blob(repository, io.BytesIO(blob), digest_of(blob), len(blob))
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": CONFIG, "digest": digest_of(config), "size": len(config)},
            "layers": [
                {"mediaType": CONFIG, "digest": digest_of(layer), "size": len(layer)},
            ],
        }
    ).encode()
    return services.put_manifest(repository, tag, body, OCI_MANIFEST).digest


def test_publish_sets_an_immutable_version_tag_moves_latest_and_drops_the_build_tag(
    public_module, settings
):
    settings.PUBLIC_URL = "http://hub.example.com:8080"
    registry = BuiltinRegistry()
    assert registry.host() == "hub.example.com:8080"
    first = stored_manifest(public_module, "build-1-a", b"one")
    registry.publish(public_module, first, "build-1-a", "1", latest=True)
    assert registry.tags(public_module) == ["1", "latest"]
    second = stored_manifest(public_module, "build-2-b", b"two")
    registry.publish(public_module, second, "build-2-b", "2", latest=True)
    tags = {t.name: (t.manifest.digest, t.immutable) for t in Tag.objects.all()}
    assert tags == {"1": (first, True), "2": (second, True), "latest": (second, False)}

    with pytest.raises(TagError):  # a version's tag never names other content
        registry.publish(public_module, second, "build-x", "1", latest=False)
    with pytest.raises(TagError):
        registry.publish(public_module, digest_of(b"unknown"), "build-y", "3", latest=False)


def test_an_administrator_cannot_overwrite_or_delete_a_published_version(public_module, people):
    people.outsider.is_superuser = True
    people.outsider.save()
    registry = BuiltinRegistry()
    digest = stored_manifest(public_module, "build-1", b"one")
    registry.publish(public_module, digest, "build-1", "1", latest=False)
    other = stored_manifest(public_module, "other", b"two")
    repository = services.repository_for(public_module)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": basic(people.outsider.username, PASSWORD)}
    body = blob_store().path(other).read_bytes()
    name = public_module.full_name
    put = client.generic("PUT", f"/v2/{name}/manifests/1", body, content_type=OCI_MANIFEST, **auth)
    assert put.status_code == 403 and put.json()["errors"][0]["code"] == "DENIED"
    assert client.delete(f"/v2/{name}/manifests/1", **auth).status_code == 403
    assert client.delete(f"/v2/{name}/manifests/{digest}", **auth).status_code == 403
    assert repository.tags.get(name="1").manifest.digest == digest


def test_deleting_the_module_deletes_its_tags(public_module):
    registry = BuiltinRegistry()
    digest = stored_manifest(public_module, "build-1", b"one")
    registry.publish(public_module, digest, "build-1", "1", latest=True)
    module_services.delete_module(public_module)
    assert not Tag.objects.exists()


def test_push_credentials_reach_only_this_module(public_module):
    target = BuiltinRegistry().push_target(public_module)
    token = verify_internal_token(target.password)
    assert token.resources == {f"registry:{public_module.full_name}"}
    assert token.has_scope("write")
