"""Password guessing is throttled per client address and per username, everywhere."""

from __future__ import annotations

import base64

import pytest

from accounts import credentials
from accounts.credentials import CredentialsError, check_basic
from accounts.throttle import Throttled
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def basic(username: str, password: str) -> dict:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


def test_web_login_stops_checking_passwords_for_a_username_after_failures(client, people, settings):
    settings.LOGIN_FAILURES_PER_USER = 3
    for _ in range(3):
        failed = client.post("/accounts/login/", {"username": "olivia", "password": "nope"})
        assert failed.status_code == 200 and b"enter a correct username" in failed.content
    blocked = client.post("/accounts/login/", {"username": "olivia", "password": PASSWORD})
    assert blocked.status_code == 429 and b"Too many failed sign-ins for" in blocked.content
    assert int(blocked["Retry-After"]) > 0
    other = client.post("/accounts/login/", {"username": "walter", "password": PASSWORD})
    assert other.status_code == 302  # other accounts are unaffected


def test_web_and_admin_login_are_throttled_per_address(client, people, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    for username in ("ghost1", "ghost2"):  # users that do not exist count too
        client.post("/accounts/login/", {"username": username, "password": "x"})
    web = client.post("/accounts/login/", {"username": "olivia", "password": PASSWORD})
    admin = client.post("/admin/login/", {"username": "olivia", "password": PASSWORD})
    assert web.status_code == 429
    assert (
        admin.status_code == 200 and b"Too many failed sign-ins from your address" in admin.content
    )
    elsewhere = client.post(
        "/accounts/login/", {"username": "olivia", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert elsewhere.status_code == 302


def test_git_basic_auth_answers_429_once_throttled(client, people, public_module, settings):
    settings.LOGIN_FAILURES_PER_USER = 2
    url = public_module.clone_path() + "/info/refs?service=git-receive-pack"
    for _ in range(2):
        assert client.get(url, headers=basic("olivia", "wrong")).status_code == 401
    throttled = client.get(url, headers=basic("olivia", PASSWORD))
    assert throttled.status_code == 429 and b"Too many failed sign-ins" in throttled.content


def test_api_tokens_are_throttled_per_address(client, people, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    for _ in range(2):
        response = client.get("/api/v1/users/me/", headers={"Authorization": "Bearer mlr_guess"})
        assert response.status_code == 401
    response = client.get("/api/v1/users/me/", headers={"Authorization": "Bearer mlr_guess"})
    assert response.status_code == 429 and "Too many failed sign-ins" in response.json()["detail"]


def test_signup_is_limited_per_address(client, settings):
    settings.SIGNUPS_PER_ADDRESS = 2
    for name in ("ann", "bob"):
        response = client.post(
            "/accounts/signup/",
            {"username": name, "password1": PASSWORD, "password2": PASSWORD},
        )
        assert response.status_code == 302
        client.logout()
    third = client.post(
        "/accounts/signup/", {"username": "cid", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert third.status_code == 429 and b"Too many sign-ups" in third.content


def test_good_git_passwords_are_hashed_once_then_remembered_briefly(people, monkeypatch):
    calls = []
    real = credentials.authenticate

    def counting(**kwargs):
        calls.append(kwargs["username"])
        return real(**kwargs)

    monkeypatch.setattr(credentials, "authenticate", counting)
    for _ in range(3):
        user, token = check_basic("olivia", PASSWORD, address="10.0.0.1")
        assert user == people.owner and token is None
    assert calls == ["olivia"]
    with pytest.raises(CredentialsError):
        check_basic("olivia", PASSWORD + "x", address="10.0.0.1")
    people.owner.set_password("another-long-password-7")
    people.owner.save()
    with pytest.raises(CredentialsError):  # the remembered entry died with the old password
        check_basic("olivia", PASSWORD, address="10.0.0.1")


def test_check_basic_refuses_before_hashing_when_throttled(people, settings, monkeypatch):
    settings.LOGIN_FAILURES_PER_USER = 1
    with pytest.raises(CredentialsError):
        check_basic("olivia", "wrong", address="10.0.0.1")
    monkeypatch.setattr(credentials, "authenticate", lambda **kw: pytest.fail("hashed"))
    with pytest.raises(Throttled):
        check_basic("olivia", PASSWORD, address="10.0.0.2")
