"""The OCI Distribution API of the built-in registry, through the real gunicorn server.

One test per endpoint family (push, pull, content discovery, content management), with the
awkward cases: chunked and streamed uploads, out-of-order chunks, ranges, bad digests, mounts.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
import requests

from registry.storage import blob_store
from tests.conftest import PASSWORD, make_module, make_user
from tests.helpers import start_gunicorn
from tests.oci import CONFIG, LAYER, OCI_INDEX, OCI_MANIFEST, OciClient, digest_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(people):
    user = make_user("ada")
    user.is_superuser = user.is_staff = True
    user.save()
    return user


@pytest.fixture
def client(hub, admin, public_module) -> OciClient:
    oci = OciClient(hub.url, (admin.username, PASSWORD))
    oci.login(public_module.full_name)
    return oci


def errors(response: requests.Response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def test_it_answers_the_version_check_and_challenges_anonymous_callers(hub, admin):
    response = requests.get(hub.url + "/v2/")
    assert response.status_code == 401
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert response.headers["WWW-Authenticate"].startswith(
        f'Bearer realm="{hub.url}/v2/token",service="mlreef-registry"'
    )
    assert errors(response) == ["UNAUTHORIZED"]
    oci = OciClient(hub.url, (admin.username, PASSWORD))
    token = oci.token("")
    ok = requests.get(hub.url + "/v2/", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert ok.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    wrong = requests.get(hub.url + "/v2/token", auth=(admin.username, "wrong"))
    assert wrong.status_code == 401


def test_monolithic_push_then_pull_with_ranges(client, public_module):
    name = public_module.full_name
    data = os.urandom(300_000)
    digest = client.push_blob(name, data)
    head = client.request("HEAD", f"/v2/{name}/blobs/{digest}")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(data))
    assert head.headers["Docker-Content-Digest"] == digest
    assert client.request("GET", f"/v2/{name}/blobs/{digest}").content == data
    part = client.request("GET", f"/v2/{name}/blobs/{digest}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = client.request("GET", f"/v2/{name}/blobs/{digest}", headers={"Range": "bytes=-5"})
    assert tail.content == data[-5:]
    bad = client.request("GET", f"/v2/{name}/blobs/{digest}", headers={"Range": "bytes=999999-"})
    assert bad.status_code == 416
    unknown = client.request("GET", f"/v2/{name}/blobs/{digest_of(b'nothing')}")
    assert unknown.status_code == 404 and errors(unknown) == ["BLOB_UNKNOWN"]
    # Stored once, content-addressed.
    assert blob_store().path(digest).read_bytes() == data


def test_wrong_digest_is_refused_and_nothing_is_stored(client, public_module):
    name = public_module.full_name
    data = b"some bytes"
    claimed = digest_of(b"other bytes")
    response = client.request(
        "POST", f"/v2/{name}/blobs/uploads/", params={"digest": claimed}, data=data
    )
    assert response.status_code == 400 and errors(response) == ["DIGEST_INVALID"]
    assert not blob_store().exists(digest_of(data)) and not blob_store().exists(claimed)
    malformed = client.request(
        "POST", f"/v2/{name}/blobs/uploads/", params={"digest": "sha256:xyz"}, data=data
    )
    assert malformed.status_code == 400 and errors(malformed) == ["DIGEST_INVALID"]


def start_session(client: OciClient, name: str) -> str:
    response = client.request("POST", f"/v2/{name}/blobs/uploads/")
    assert response.status_code == 202, response.text
    assert response.headers["Docker-Upload-UUID"]
    return response.headers["Location"]


def test_chunked_session_with_content_range_status_and_out_of_order_chunks(client, public_module):
    name = public_module.full_name
    data = os.urandom(3 * 1024 * 1024 + 17)
    location = start_session(client, name)
    first, second = data[:1_000_000], data[1_000_000:]
    response = client.request(
        "PATCH",
        location,
        data=first,
        headers={
            "Content-Range": f"0-{len(first) - 1}",
            "Content-Type": "application/octet-stream",
        },
    )
    assert response.status_code == 202 and response.headers["Range"] == f"0-{len(first) - 1}"
    location = response.headers["Location"]
    status = client.request("GET", location)
    assert status.status_code == 204 and status.headers["Range"] == f"0-{len(first) - 1}"
    skipped = client.request(
        "PATCH", location, data=second[:10], headers={"Content-Range": "2000000-2000009"}
    )
    assert skipped.status_code == 416 and errors(skipped) == ["BLOB_UPLOAD_INVALID"]
    end = len(data) - 1
    response = client.request(
        "PATCH", location, data=second, headers={"Content-Range": f"{len(first)}-{end}"}
    )
    assert response.status_code == 202 and response.headers["Range"] == f"0-{end}"
    done = client.request("PUT", location, params={"digest": digest_of(data)})
    assert done.status_code == 201
    assert done.headers["Docker-Content-Digest"] == digest_of(data)
    assert done.headers["Location"] == f"/v2/{name}/blobs/{digest_of(data)}"
    assert client.request("GET", f"/v2/{name}/blobs/{digest_of(data)}").content == data
    assert client.request("GET", location).status_code == 404  # the session is gone


def test_streamed_session_sent_chunked_without_content_length(client, public_module):
    name = public_module.full_name
    parts = [os.urandom(700_000) for _ in range(4)]
    data = b"".join(parts)
    location = start_session(client, name)
    # A generator body makes requests use Transfer-Encoding: chunked (no Content-Length).
    response = client.request("PATCH", location, data=iter(parts))
    assert response.status_code == 202, response.text
    assert response.headers["Range"] == f"0-{len(data) - 1}"
    done = client.request(
        "PUT", response.headers["Location"], params={"digest": digest_of(data)}, data=b""
    )
    assert done.status_code == 201, done.text
    assert client.request("GET", f"/v2/{name}/blobs/{digest_of(data)}").content == data


def test_final_chunk_in_put_wrong_digest_and_cancel(client, public_module):
    name = public_module.full_name
    location = start_session(client, name)
    done = client.request("PUT", location, params={"digest": digest_of(b"abc")}, data=b"abc")
    assert done.status_code == 201
    location = start_session(client, name)
    client.request("PATCH", location, data=b"hello")
    wrong = client.request("PUT", location, params={"digest": digest_of(b"other")})
    assert wrong.status_code == 400 and errors(wrong) == ["DIGEST_INVALID"]
    assert not blob_store().exists(digest_of(b"hello"))
    location = start_session(client, name)
    assert client.request("DELETE", location).status_code == 204
    assert client.request("GET", location).status_code == 404


def test_cross_repository_mount(client, hub, admin, people, public_module):
    other = make_module(people, "other-net", "public")
    data = os.urandom(5000)
    client.push_blob(public_module.full_name, data)
    oci = OciClient(hub.url, (admin.username, PASSWORD))
    mount = requests.post(
        f"{hub.url}/v2/{other.full_name}/blobs/uploads/",
        params={"mount": digest_of(data), "from": public_module.full_name},
        headers={"Authorization": f"Bearer {_two_scopes(oci, other, public_module)}"},
    )
    assert mount.status_code == 201, mount.text
    assert mount.headers["Docker-Content-Digest"] == digest_of(data)
    missing = requests.post(
        f"{hub.url}/v2/{other.full_name}/blobs/uploads/",
        params={"mount": digest_of(b"absent"), "from": public_module.full_name},
        headers={"Authorization": f"Bearer {_two_scopes(oci, other, public_module)}"},
    )
    assert missing.status_code == 202  # falls back to an upload session


def _two_scopes(oci: OciClient, target, source) -> str:
    response = oci.session.get(
        oci.base + "/v2/token",
        params=[
            ("service", "mlreef-registry"),
            ("scope", f"repository:{target.full_name}:pull,push"),
            ("scope", f"repository:{source.full_name}:pull"),
        ],
        auth=oci.auth,
    )
    return response.json()["token"]


def test_manifests_by_tag_and_digest_exact_bytes(client, public_module):
    name = public_module.full_name
    digest, body = client.push_image(name, "v1", [b"layer-one", b"layer-two"])
    got = client.request("GET", f"/v2/{name}/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert got.status_code == 200 and got.content == body
    assert got.headers["Content-Type"] == OCI_MANIFEST
    assert got.headers["Docker-Content-Digest"] == digest
    head = client.request("HEAD", f"/v2/{name}/manifests/{digest}")
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(body))
    # An index over it, pushed by digest.
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [{"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body)}],
        }
    ).encode()
    put = client.request(
        "PUT",
        f"/v2/{name}/manifests/{digest_of(index)}",
        data=index,
        headers={"Content-Type": OCI_INDEX},
    )
    assert put.status_code == 201 and put.headers["Docker-Content-Digest"] == digest_of(index)
    wrong = client.request(
        "PUT",
        f"/v2/{name}/manifests/{digest_of(b'x')}",
        data=index,
        headers={"Content-Type": OCI_INDEX},
    )
    assert wrong.status_code == 400 and errors(wrong) == ["DIGEST_INVALID"]
    assert client.request("DELETE", f"/v2/{name}/manifests/{digest_of(index)}").status_code == 202
    gone = client.request("GET", f"/v2/{name}/manifests/{digest_of(index)}")
    assert gone.status_code == 404 and errors(gone) == ["MANIFEST_UNKNOWN"]
    assert client.request("DELETE", f"/v2/{name}/manifests/v1").status_code == 202
    assert client.request("GET", f"/v2/{name}/manifests/v1").status_code == 404
    assert client.request("GET", f"/v2/{name}/manifests/{digest}").status_code == 200


def test_bad_manifests(client, public_module):
    name = public_module.full_name
    missing = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": CONFIG, "digest": digest_of(b"no config"), "size": 9},
        "layers": [],
    }

    def put(body: bytes, content_type: str = OCI_MANIFEST, tag: str = "t"):
        return client.request(
            "PUT", f"/v2/{name}/manifests/{tag}", data=body, headers={"Content-Type": content_type}
        )

    response = put(json.dumps(missing).encode())
    assert response.status_code == 400 and errors(response) == ["MANIFEST_BLOB_UNKNOWN"]
    assert errors(put(b"{not json")) == ["MANIFEST_INVALID"]
    assert errors(put(b'{"schemaVersion": 2}', "application/x-unknown")) == ["MANIFEST_INVALID"]
    huge = put(b" " * (4 * 1024 * 1024 + 1))
    assert huge.status_code == 413
    bad_tag = put(json.dumps(missing).encode(), tag="-bad")
    assert bad_tag.status_code == 400
    upper = client.request("GET", "/v2/Olivia/Public-Net/tags/list")
    assert upper.status_code == 400 and errors(upper) == ["NAME_INVALID"]
    dots = client.request("GET", "/v2/olivia/../x/tags/list")
    assert dots.status_code in (400, 404) and dots.json()["errors"]
    absent = client.request("POST", "/v2/olivia/absent/blobs/uploads/")
    assert absent.status_code == 404 and errors(absent) == ["NAME_UNKNOWN"]


def test_tags_list_paging_and_catalog(client, public_module, hub, admin):
    name = public_module.full_name
    digest, _ = client.push_image(name, "a", [b"x"])
    for tag in ("b", "c", "d"):
        client.push_image(name, tag, [b"x"])
    everything = client.request("GET", f"/v2/{name}/tags/list").json()
    assert everything == {"name": name, "tags": ["a", "b", "c", "d"]}
    page = client.request("GET", f"/v2/{name}/tags/list", params={"n": 2})
    assert page.json()["tags"] == ["a", "b"]
    assert 'rel="next"' in page.headers["Link"] and "last=b" in page.headers["Link"]
    rest = client.request("GET", f"/v2/{name}/tags/list", params={"n": 2, "last": "b"})
    assert rest.json()["tags"] == ["c", "d"]
    oci = OciClient(hub.url, (admin.username, PASSWORD))
    catalog = oci.request("GET", "/v2/_catalog")
    assert name in catalog.json()["repositories"]


def test_referrers(client, public_module):
    name = public_module.full_name
    digest, body = client.push_image(name, "base", [b"layer"])
    empty = b"{}"
    client.push_blob(name, empty)
    artifact = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.sbom",
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": digest_of(empty),
            "size": 2,
        },
        "layers": [{"mediaType": LAYER, "digest": digest_of(empty), "size": 2}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body)},
        "annotations": {"org.example": "yes"},
    }
    data = json.dumps(artifact).encode()
    put = client.request(
        "PUT",
        f"/v2/{name}/manifests/{digest_of(data)}",
        data=data,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert put.status_code == 201 and put.headers["OCI-Subject"] == digest
    listed = client.request("GET", f"/v2/{name}/referrers/{digest}")
    assert listed.headers["Content-Type"] == OCI_INDEX
    assert listed.json()["manifests"] == [
        {
            "mediaType": OCI_MANIFEST,
            "digest": digest_of(data),
            "size": len(data),
            "artifactType": "application/vnd.example.sbom",
            "annotations": {"org.example": "yes"},
        }
    ]
    filtered = client.request(
        "GET", f"/v2/{name}/referrers/{digest}", params={"artifactType": "other"}
    )
    assert filtered.json()["manifests"] == []
    assert filtered.headers["OCI-Filters-Applied"] == "artifactType"


def test_blob_delete(client, public_module):
    name = public_module.full_name
    digest = client.push_blob(name, b"to delete")
    assert client.request("DELETE", f"/v2/{name}/blobs/{digest}").status_code == 202
    assert client.request("HEAD", f"/v2/{name}/blobs/{digest}").status_code == 404


def test_a_token_asked_for_too_little_is_sent_back_for_the_wider_scope(hub, admin, public_module):
    name = public_module.full_name
    oci = OciClient(hub.url, (admin.username, PASSWORD))
    pull_only = oci.token(f"repository:{name}:pull")
    response = requests.post(
        f"{hub.url}/v2/{name}/blobs/uploads/", headers={"Authorization": f"Bearer {pull_only}"}
    )
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert f'scope="repository:{name}:pull,push"' in challenge
    assert 'error="insufficient_scope"' in challenge
    # The OCI client follows it and gets through.
    assert oci.request("POST", f"/v2/{name}/blobs/uploads/").status_code == 202


def test_mount_without_from_finds_the_blob_in_a_readable_repository(client, people, public_module):
    other = make_module(people, "other-net", "private")
    data = os.urandom(2000)
    client.push_blob(public_module.full_name, data)
    client.login(other.full_name)
    mounted = client.request(
        "POST", f"/v2/{other.full_name}/blobs/uploads/", params={"mount": digest_of(data)}
    )
    assert mounted.status_code == 201
    assert client.request("HEAD", f"/v2/{other.full_name}/blobs/{digest_of(data)}").ok


def test_unknown_or_malformed_references_are_404(client, public_module):
    name = public_module.full_name
    for reference in (".INVALID_MANIFEST_NAME", "nope", digest_of(b"none")):
        response = client.request("GET", f"/v2/{name}/manifests/{reference}")
        assert response.status_code == 404 and errors(response) == ["MANIFEST_UNKNOWN"]


def sha512_of(data: bytes) -> str:
    return "sha512:" + hashlib.sha512(data).hexdigest()


def test_sha512_content_is_stored_served_and_named_by_sha512(client, public_module):
    """Conformance suite, "Digest Algorithm sha512" and "sha512 blobs": content pushed with
    sha512 digests keeps them (blobs monolithic and in sessions, mounts, manifests by digest)."""
    name = public_module.full_name
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {}}).encode()
    layer = os.urandom(70_000)
    posted = client.request(
        "POST", f"/v2/{name}/blobs/uploads/", params={"digest": sha512_of(config)}, data=config
    )
    assert posted.status_code == 201, posted.text
    assert posted.headers["Docker-Content-Digest"] == sha512_of(config)
    assert posted.headers["Location"] == f"/v2/{name}/blobs/{sha512_of(config)}"
    started = client.request(
        "POST", f"/v2/{name}/blobs/uploads/", params={"digest-algorithm": "sha512"}
    )
    assert started.status_code == 202
    patched = client.request("PATCH", started.headers["Location"], data=layer[:30_000])
    done = client.request(
        "PUT", patched.headers["Location"], params={"digest": sha512_of(layer)}, data=layer[30_000:]
    )
    assert done.status_code == 201, done.text
    assert done.headers["Docker-Content-Digest"] == sha512_of(layer)
    for method in ("HEAD", "GET"):
        got = client.request(method, f"/v2/{name}/blobs/{sha512_of(layer)}")
        assert got.status_code == 200 and got.headers["Docker-Content-Digest"] == sha512_of(layer)
        assert got.headers["Content-Length"] == str(len(layer))
    assert client.request("GET", f"/v2/{name}/blobs/{sha512_of(layer)}").content == layer
    assert blob_store().path(sha512_of(layer)).read_bytes() == layer
    assert not client.request("HEAD", f"/v2/{name}/blobs/{digest_of(layer)}").ok
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": CONFIG, "digest": sha512_of(config), "size": len(config)},
            "layers": [{"mediaType": LAYER, "digest": sha512_of(layer), "size": len(layer)}],
        }
    ).encode()
    put = client.request(
        "PUT",
        f"/v2/{name}/manifests/{sha512_of(manifest)}",
        data=manifest,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert put.status_code == 201, put.text
    assert put.headers["Docker-Content-Digest"] == sha512_of(manifest)
    assert put.headers["Location"] == f"/v2/{name}/manifests/{sha512_of(manifest)}"
    got = client.request("GET", f"/v2/{name}/manifests/{sha512_of(manifest)}")
    assert got.status_code == 200 and got.content == manifest
    assert got.headers["Docker-Content-Digest"] == sha512_of(manifest)
    wrong = client.request(
        "PUT",
        f"/v2/{name}/manifests/{sha512_of(b'other')}",
        data=manifest,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert wrong.status_code == 400 and errors(wrong) == ["DIGEST_INVALID"]
    assert (
        client.request("DELETE", f"/v2/{name}/manifests/{sha512_of(manifest)}").status_code == 202
    )
    assert client.request("DELETE", f"/v2/{name}/blobs/{sha512_of(layer)}").status_code == 202
    assert client.request("HEAD", f"/v2/{name}/blobs/{sha512_of(layer)}").status_code == 404


def test_unsupported_digest_algorithms_are_400(client, public_module):
    name = public_module.full_name
    algorithm = client.request(
        "POST", f"/v2/{name}/blobs/uploads/", params={"digest-algorithm": "md5"}
    )
    assert algorithm.status_code == 400 and errors(algorithm) == ["DIGEST_INVALID"]
    md5 = client.request(
        "POST", f"/v2/{name}/blobs/uploads/", params={"digest": "md5:" + "0" * 32}, data=b"x"
    )
    assert md5.status_code == 400 and errors(md5) == ["DIGEST_INVALID"]
    short = client.request("GET", f"/v2/{name}/blobs/sha512:{'a' * 64}")
    assert short.status_code == 400 and errors(short) == ["DIGEST_INVALID"]


def test_push_by_digest_with_tag_parameters(client, public_module):
    """Conformance suite, "Tag Param": ``PUT …/manifests/<digest>?tag=a&tag=b`` tags the
    manifest in the same request and says so in ``OCI-Tag``."""
    name = public_module.full_name
    digest, body = client.push_image(name, "first", [b"layer"])
    put = client.request(
        "PUT",
        f"/v2/{name}/manifests/{digest}",
        params=[("tag", "1.2.3"), ("tag", "1.2"), ("tag", "latest")],
        data=body,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert put.status_code == 201, put.text
    assert [t.strip() for t in put.headers["OCI-Tag"].split(",")] == ["1.2.3", "1.2", "latest"]
    listed = client.request("GET", f"/v2/{name}/tags/list").json()["tags"]
    assert listed == ["1.2", "1.2.3", "first", "latest"]
    for tag in ("1.2", "latest"):
        got = client.request("GET", f"/v2/{name}/manifests/{tag}")
        assert got.content == body and got.headers["Docker-Content-Digest"] == digest
    bad = client.request(
        "PUT",
        f"/v2/{name}/manifests/{digest}",
        params=[("tag", "ok"), ("tag", "-bad")],
        data=body,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert bad.status_code == 400 and errors(bad) == ["MANIFEST_INVALID"]
    assert "ok" not in client.request("GET", f"/v2/{name}/tags/list").json()["tags"]
    too_many = client.request(
        "PUT",
        f"/v2/{name}/manifests/{digest}",
        params=[("tag", f"t{index}") for index in range(101)],
        data=body,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert too_many.status_code == 414 and errors(too_many) == ["UNSUPPORTED"]


@pytest.fixture
def sparse_hub(hub, tmp_path):
    """A second server over the same database with REGISTRY_SPARSE_MANIFESTS on."""
    from django.db import connections

    server = start_gunicorn(
        dict(connections["default"].settings_dict),
        tmp_path / "gunicorn.log",
        {"REGISTRY_SPARSE_MANIFESTS": "true"},
    )
    yield server
    server.stop()


def test_sparse_manifests_only_when_enabled(sparse_hub, client, admin, public_module):
    """Conformance suite, "Sparse Manifests": an image missing a layer and an index missing a
    platform are refused by default (test_bad_manifests) and accepted with the setting."""
    name = public_module.full_name
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {}}).encode()
    client.push_blob(name, config)
    absent = digest_of(b"a layer nobody pushed")
    image = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": CONFIG, "digest": digest_of(config), "size": len(config)},
            "layers": [{"mediaType": LAYER, "digest": absent, "size": 21}],
        }
    ).encode()
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": digest_of(image), "size": len(image)},
                {"mediaType": OCI_MANIFEST, "digest": digest_of(b"arm64"), "size": 5},
            ],
        }
    ).encode()
    refused = client.request(
        "PUT", f"/v2/{name}/manifests/img", data=image, headers={"Content-Type": OCI_MANIFEST}
    )
    assert refused.status_code == 400 and errors(refused) == ["MANIFEST_BLOB_UNKNOWN"]
    sparse = OciClient(sparse_hub.url, (admin.username, PASSWORD))
    sparse.login(name)
    for tag, body, media_type in (("img", image, OCI_MANIFEST), ("idx", index, OCI_INDEX)):
        put = sparse.request(
            "PUT", f"/v2/{name}/manifests/{tag}", data=body, headers={"Content-Type": media_type}
        )
        assert put.status_code == 201, put.text
        got = sparse.request("GET", f"/v2/{name}/manifests/{tag}")
        assert got.content == body and got.headers["Docker-Content-Digest"] == digest_of(body)
    assert sparse.request("GET", f"/v2/{name}/blobs/{absent}").status_code == 404
    missing_child = sparse.request("GET", f"/v2/{name}/manifests/{digest_of(b'arm64')}")
    assert missing_child.status_code == 404
