"""Sign-up, log-in and personal access tokens (web and API)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import PersonalAccessToken, User, hash_token
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_signs_up_and_logs_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "NewUser",
            "email": "n@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.username == "newuser"  # namespaces are lowercase
    assert client.get("/accounts/profile/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/accounts/profile/").status_code == 302
    assert (
        client.post("/accounts/login/", {"username": "newuser", "password": PASSWORD}).status_code
        == 302
    )


@pytest.mark.parametrize("username", ["api", "admin", "Bad Name", "-dash", "a" * 40])
def test_it_refuses_reserved_or_malformed_usernames(client, username):
    response = client.post(
        "/accounts/signup/",
        {"username": username, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert not User.objects.exists()
    assert b"errorlist" in response.content


def test_it_shows_a_new_token_once_and_stores_only_its_hash(client, people):
    client.force_login(people.owner)
    response = client.post("/accounts/profile/", {"name": "laptop", "scopes": ["read", "write"]})
    raw = response.context["new_token"]
    assert raw.startswith("mlr_") and raw.encode() in response.content
    token = PersonalAccessToken.objects.get()
    assert token.token_hash == hash_token(raw) and raw not in token.token_hash
    assert token.scopes == ["read", "write"]
    again = client.get("/accounts/profile/")
    assert raw.encode() not in again.content and b"laptop" in again.content


def test_it_revokes_a_token_from_the_profile(client, people):
    token, raw = PersonalAccessToken.issue(people.owner, "ci", ["read"])
    client.force_login(people.owner)
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.status == "revoked"
    response = client.get("/api/v1/users/me/", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_it_cannot_revoke_someone_elses_token(client, people):
    token, _ = PersonalAccessToken.issue(people.owner, "ci", ["read"])
    client.force_login(people.outsider)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_creates_lists_and_revokes_tokens_through_the_api(client, people):
    client.force_login(people.owner)
    created = client.post(
        "/api/v1/tokens/", {"name": "script", "scopes": ["read"]}, content_type="application/json"
    )
    assert created.status_code == 201
    raw = created.json()["token"]
    me = client.get("/api/v1/users/me/", headers={"Authorization": f"Bearer {raw}"})
    assert me.json()["username"] == "olivia"
    listed = client.get("/api/v1/tokens/").json()
    assert [t["name"] for t in listed] == ["script"] and "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None
    assert client.delete(f"/api/v1/tokens/{listed[0]['id']}/").status_code == 204
    assert client.get("/api/v1/tokens/").json()[0]["status"] == "revoked"


def test_it_rejects_bad_token_requests(client, people):
    client.force_login(people.owner)
    response = client.post(
        "/api/v1/tokens/", {"name": "x", "scopes": ["admin"]}, content_type="application/json"
    )
    assert response.status_code == 400 and "scopes" in response.json()


def test_it_refuses_expired_and_unknown_tokens(client, people):
    _, raw = PersonalAccessToken.issue(
        people.owner, "old", ["read"], timezone.now() - timedelta(seconds=1)
    )
    expired = client.get("/api/v1/users/me/", headers={"Authorization": f"Bearer {raw}"})
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    unknown = client.get("/api/v1/users/me/", headers={"Authorization": "Bearer mlr_nope"})
    assert unknown.status_code == 401 and unknown["WWW-Authenticate"].startswith("Bearer")


def test_it_needs_the_write_scope_for_changes(client, people):
    _, raw = PersonalAccessToken.issue(people.owner, "ro", ["read"])
    auth = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/modules/", headers=auth).status_code == 200
    response = client.post(
        "/api/v1/modules/",
        {"name": "x", "kind": "model", "data_types": ["image"]},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 403
    assert "write" in response.json()["detail"]


def test_serve_creates_a_superuser_once_with_a_valid_namespace(settings, tmp_path):
    from modules.management.commands.serve import Command

    settings.DATA_DIR = tmp_path
    username, password = Command()._ensure_admin()
    user = User.objects.get(username=username)
    user.full_clean()  # a namespace like any other: not reserved, matches the pattern
    assert user.is_superuser and user.check_password(password)
    assert (tmp_path / "admin-password").read_text().strip() == password
    assert Command()._ensure_admin() == (username, None)  # printed once, when created
    assert User.objects.count() == 1
