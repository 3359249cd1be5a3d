"""Tokens never widen, secrets are printed once, files are owner-only, HTTPS settings apply."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import PersonalAccessToken
from modules.management.commands.serve import ensure_admin, welcome

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def create_token(client, raw: str, **fields):
    return client.post(
        "/api/v1/tokens/",
        {"name": "child", "scopes": ["read"], **fields},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )


def test_a_token_cannot_mint_a_longer_lived_or_wider_token(client, people):
    soon = timezone.now() + timedelta(hours=1)
    _, short_write = PersonalAccessToken.issue(people.owner, "ci", ["write"], soon)
    forever = create_token(client, short_write, scopes=["write"])
    assert forever.status_code == 400 and "expires_at" in forever.json()
    later = create_token(client, short_write, expires_at=(soon + timedelta(days=1)).isoformat())
    assert later.status_code == 400
    ok = create_token(client, short_write, expires_at=(soon - timedelta(minutes=5)).isoformat())
    assert ok.status_code == 201
    _, read_write = PersonalAccessToken.issue(people.owner, "rw", ["read", "write"])
    assert create_token(client, read_write, scopes=["read"]).status_code == 201
    _, read_only = PersonalAccessToken.issue(people.owner, "r", ["read"])
    # A read-only token cannot create tokens at all (POST needs write): no widening either.
    assert create_token(client, read_only, scopes=["write"]).status_code == 403


def test_new_tokens_expire_in_the_future(client, people):
    client.force_login(people.owner)
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    response = client.post(
        "/api/v1/tokens/",
        {"name": "old", "scopes": ["read"], "expires_at": past},
        content_type="application/json",
    )
    assert response.status_code == 400 and "future" in response.json()["expires_at"][0]
    page = client.post(
        "/accounts/profile/",
        {"name": "old", "scopes": ["read"], "expires_at": "2001-01-01T00:00"},
    )
    assert page.status_code == 400 and not PersonalAccessToken.objects.exists()


def test_the_admin_password_is_shown_once_when_created(db):
    username, password = ensure_admin()
    assert password and password in welcome("127.0.0.1:8000", username, password)
    again_user, again = ensure_admin()
    assert again_user == username and again is None
    text = welcome("127.0.0.1:8000", again_user, again)
    assert password not in text and "admin-password" in text
    assert stat.S_IMODE((settings.DATA_DIR / "admin-password").stat().st_mode) == 0o600


def test_the_data_directory_and_what_it_holds_are_owner_only(tmp_path):
    data = tmp_path / "fresh-data"
    code = (
        "import django, os, stat, json; django.setup();"
        "from django.conf import settings; from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "from modules.repository import Repository;"
        "Repository(settings.REPOSITORIES_DIR / 'x.git').create('master');"
        "paths = [settings.DATA_DIR, settings.DATA_DIR / 'db.sqlite3',"
        " settings.REPOSITORIES_DIR, settings.REPOSITORIES_DIR / 'x.git' / 'HEAD'];"
        "print(json.dumps({str(p): stat.S_IMODE(os.stat(p).st_mode) for p in paths}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="mlreef.settings")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    modes = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes


def settings_under(env: dict) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT]))"
    )
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "mlreef.settings", **env}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_https_settings_follow_the_environment():
    assert settings_under({"PUBLIC_URL": "http://127.0.0.1:8000"}) == [False, False, 0, None, False]
    secure = settings_under(
        {
            "PUBLIC_URL": "https://hub.example.com",
            "HSTS_SECONDS": "31536000",
            "TRUST_X_FORWARDED_PROTO": "true",
            "SECURE_SSL_REDIRECT": "true",
        }
    )
    assert secure == [True, True, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"], True]


def test_hsts_is_sent_on_secure_requests(client, settings):
    settings.SECURE_HSTS_SECONDS = 600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response["Strict-Transport-Security"].startswith("max-age=600")
    assert "Strict-Transport-Security" not in client.get("/")
