"""Who may do what in the built-in registry: owner / writer / reader / outsider / anonymous ×
public / private × pull / push / tags / catalog / delete, plus administrators, publishing's
internal credential and personal tokens. Each caller goes through the token server first,
as docker does, then uses the token it got."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.internal import issue_internal_token
from accounts.models import PersonalAccessToken
from registry import services
from tests.conftest import PASSWORD, make_user
from tests.oci import CONFIG, OCI_MANIFEST, digest_of

pytestmark = pytest.mark.django_db

WHO = ["owner", "writer", "reader", "outsider", "anonymous"]
# who -> expected status for (public, private)
PULL = {
    "owner": (200, 200),
    "writer": (200, 200),
    "reader": (200, 200),
    "outsider": (200, 404),
    "anonymous": (200, 401),
}
PUSH = {
    "owner": (403, 403),
    "writer": (403, 403),
    "reader": (403, 403),
    "outsider": (403, 404),
    "anonymous": (401, 401),
}


def store_image(module, tag: str = "1") -> str:
    repository = services.repository_for(module)
    config = b'{"os":"linux"}'
    services.ingest_blob(repository, io.BytesIO(config), digest_of(config), len(config))
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": CONFIG, "digest": digest_of(config), "size": len(config)},
            "layers": [],
        }
    ).encode()
    return services.put_manifest(repository, tag, manifest, OCI_MANIFEST).digest


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def registry_token(client, scope: str, authorization: str | None = None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return client.get("/v2/token", {"service": "mlreef-registry", "scope": scope}, **headers)


def bearer(client, scope: str, authorization: str) -> dict:
    token = registry_token(client, scope, authorization).json()["token"]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def bearer_for(client, people, who: str, scope: str) -> dict:
    authorization = None if who == "anonymous" else basic(getattr(people, who).username, PASSWORD)
    response = registry_token(client, scope, authorization)
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


@pytest.fixture(params=["public", "private"])
def case(request, people, public_module, private_module):
    module = public_module if request.param == "public" else private_module
    store_image(module)
    return module, 0 if request.param == "public" else 1


@pytest.mark.parametrize("who", WHO)
def test_pull_manifest_and_tags(client, people, case, who):
    module, column = case
    auth = bearer_for(client, people, who, f"repository:{module.full_name}:pull")
    pulled = client.get(f"/v2/{module.full_name}/manifests/1", **auth)
    tags = client.get(f"/v2/{module.full_name}/tags/list", **auth)
    assert pulled.status_code == PULL[who][column]
    assert tags.status_code == PULL[who][column]
    if PULL[who][column] == 404:
        assert pulled.json()["errors"][0]["code"] == "NAME_UNKNOWN"
    if PULL[who][column] == 401:
        assert pulled["WWW-Authenticate"].startswith("Bearer realm=")


@pytest.mark.parametrize("who", WHO)
def test_push_and_delete_are_reserved_to_publishing(client, people, case, who):
    module, column = case
    auth = bearer_for(client, people, who, f"repository:{module.full_name}:pull,push,delete")
    pushed = client.post(f"/v2/{module.full_name}/blobs/uploads/", **auth)
    deleted = client.delete(f"/v2/{module.full_name}/manifests/1", **auth)
    assert pushed.status_code == PUSH[who][column]
    assert deleted.status_code == PUSH[who][column]
    if PUSH[who][column] == 403:
        error = pushed.json()["errors"][0]
        assert error["code"] == "DENIED" and "made by publishing" in error["message"]


@pytest.mark.parametrize("who", WHO)
def test_catalog_lists_only_what_the_caller_reads(client, people, case, who):
    module, column = case
    auth = bearer_for(client, people, who, "registry:catalog:*")
    listed = client.get("/v2/_catalog", **auth).json()["repositories"]
    assert (module.full_name in listed) == (PULL[who][column] == 200)


def test_tokens_hold_only_allowed_actions(client, people, private_module):
    scope = f"repository:{private_module.full_name}:pull,push,delete"
    response = registry_token(client, scope, basic(people.owner.username, PASSWORD))
    import jwt

    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["access"] == [
        {"type": "repository", "name": private_module.full_name, "actions": ["pull"]}
    ]
    assert claims["sub"] == people.owner.username and claims["aud"] == "mlreef-registry"


def test_administrators_push_and_delete(client, people, private_module):
    admin = make_user("ada")
    admin.is_superuser = True
    admin.save()
    digest = store_image(private_module)
    scope = f"repository:{private_module.full_name}:pull,push,delete"
    auth = bearer(client, scope, basic("ada", PASSWORD))
    assert client.post(f"/v2/{private_module.full_name}/blobs/uploads/", **auth).status_code == 202
    assert (
        client.delete(f"/v2/{private_module.full_name}/manifests/{digest}", **auth).status_code
        == 202
    )


def test_internal_credential_pushes_only_its_repository(
    client, people, private_module, public_module
):
    secret = issue_internal_token(
        people.owner, [f"registry:{private_module.full_name}"], scopes=("write",)
    )
    auth = {"HTTP_AUTHORIZATION": basic("worker", secret)}
    assert client.post(f"/v2/{private_module.full_name}/blobs/uploads/", **auth).status_code == 202
    other = client.post(f"/v2/{public_module.full_name}/blobs/uploads/", **auth)
    assert other.status_code == 403  # public: it may read it, not push
    # Through the token server too (what docker-style clients do).
    scope = f"repository:{private_module.full_name}:pull,push"
    token = registry_token(client, scope, basic("worker", secret)).json()["token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert (
        client.post(f"/v2/{private_module.full_name}/blobs/uploads/", **bearer).status_code == 202
    )
    git_only = issue_internal_token(people.owner, [private_module.credential_resource], ("write",))
    refused = client.post(
        f"/v2/{private_module.full_name}/blobs/uploads/",
        HTTP_AUTHORIZATION=basic("worker", git_only),
    )
    assert refused.status_code == 404


def test_personal_tokens_read_scope_pulls_expired_and_revoked_refused(
    client, people, private_module
):
    store_image(private_module)
    name = private_module.full_name
    token, read_secret = PersonalAccessToken.issue(people.reader, "pull", ["read"])
    scope = f"repository:{name}:pull"
    auth = bearer(client, scope, basic("rita", read_secret))
    assert client.get(f"/v2/{name}/manifests/1", **auth).status_code == 200
    token.revoke()
    assert registry_token(client, scope, basic("rita", read_secret)).status_code == 401
    _, old = PersonalAccessToken.issue(
        people.reader, "old", ["read"], expires_at=timezone.now() - timedelta(days=1)
    )
    assert registry_token(client, scope, basic("rita", old)).status_code == 401
    assert (
        client.get(f"/v2/{name}/manifests/1", HTTP_AUTHORIZATION=f"Bearer {old}").status_code == 401
    )


def test_forged_and_expired_registry_tokens_are_refused(client, people, public_module, settings):
    forged = client.get("/v2/", HTTP_AUTHORIZATION="Bearer eyJhbGciOiJub25lIn0.e30.")
    assert forged.status_code == 401
    settings.REGISTRY_TOKEN_TTL = -60
    scope = f"repository:{public_module.full_name}:pull"
    token = registry_token(client, scope, basic("olivia", PASSWORD)).json()["token"]
    expired = client.get("/v2/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert expired.status_code == 401 and "expired" in expired.json()["errors"][0]["message"]


def test_docker_login_gets_a_refresh_token_that_stays_as_narrow_and_dies_with_its_login(
    client, people, private_module
):
    store_image(private_module)
    name = private_module.full_name
    scope = f"repository:{name}:pull,push"
    token, secret = PersonalAccessToken.issue(people.reader, "docker", ["read"])
    first = client.get(
        "/v2/token",
        {"service": "mlreef-registry", "scope": scope, "offline_token": "true"},
        HTTP_AUTHORIZATION=basic("rita", secret),
    ).json()
    refresh = first["refresh_token"]

    def trade(raw: str):
        return client.post(
            "/v2/token",
            {"grant_type": "refresh_token", "refresh_token": raw, "scope": scope},
        )

    traded = trade(refresh)
    assert traded.status_code == 200
    import jwt

    claims = jwt.decode(traded.json()["access_token"], options={"verify_signature": False})
    assert claims["access"][0]["actions"] == ["pull"] and claims["sub"] == "rita"
    token.revoke()
    assert trade(refresh).status_code == 401
    assert trade("forged").status_code == 401

    by_password = client.get(
        "/v2/token",
        {"service": "mlreef-registry", "scope": scope, "offline_token": "true"},
        HTTP_AUTHORIZATION=basic("olivia", PASSWORD),
    ).json()["refresh_token"]
    assert trade(by_password).status_code == 200
    people.owner.set_password("another-secret-pass-77")
    people.owner.save()
    assert trade(by_password).status_code == 401
