"""Internal credentials: what a build or run worker on another machine presents to the hub."""

from __future__ import annotations

import pytest
from django.core import signing

from accounts.credentials import CredentialsError, check_basic, check_token
from accounts.internal import INTERNAL_TOKEN_PREFIX, issue_internal_token
from tests.helpers import url_with_credentials
from tests.test_git_http import SCRIPT

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_acts_for_its_user_on_named_resources_only(people, private_module):
    raw = issue_internal_token(people.reader, [private_module.credential_resource])
    user, token = check_basic("", raw)
    assert user == people.reader
    assert token.allows(private_module.credential_resource)
    assert not token.allows("repo:0")
    assert token.has_scope("read") and not token.has_scope("write")


def test_it_refuses_forged_and_expired_credentials(people, private_module, monkeypatch):
    raw = issue_internal_token(people.owner, [private_module.credential_resource])
    with pytest.raises(CredentialsError, match="Invalid"):
        check_token(raw[:-2] + ("AA" if not raw.endswith("AA") else "BB"))
    expired = issue_internal_token(
        people.owner, [private_module.credential_resource], ttl_seconds=-1
    )
    with pytest.raises(CredentialsError, match="expired"):
        check_token(expired)
    # Another secret key signs differently: a token from another install is forged here.
    forged = INTERNAL_TOKEN_PREFIX + signing.dumps(
        {"u": people.owner.pk, "s": ["write"], "r": ["repo:1"], "t": 60},
        key="not-this-hub",
        salt="mlreef.internal-credential",
    )
    with pytest.raises(CredentialsError):
        check_token(forged)


def test_it_refuses_a_disabled_user(people, private_module):
    raw = issue_internal_token(people.owner, [private_module.credential_resource])
    people.owner.is_active = False
    people.owner.save()
    with pytest.raises(CredentialsError, match="disabled"):
        check_token(raw)


def test_git_clones_with_it_and_only_that_repository(
    hub, git_client, private_module, people, tmp_path
):
    from tests.conftest import make_module

    private_module.repository.commit_files(
        "master", {"train.py": SCRIPT.encode()}, "Add code", "Olivia", "o@example.com"
    )
    other = make_module(people, "other-secret", "private")
    raw = issue_internal_token(people.owner, [private_module.credential_resource])

    url = url_with_credentials(hub.url, private_module.clone_path(), "worker", raw)
    git_client.run("clone", url, str(tmp_path / "ok"))
    assert (tmp_path / "ok" / "train.py").read_text() == SCRIPT

    elsewhere = url_with_credentials(hub.url, other.clone_path(), "worker", raw)
    refused = git_client.run("clone", elsewhere, str(tmp_path / "no"), check=False)
    assert refused.returncode != 0 and "not found" in refused.stderr.lower()

    work = tmp_path / "ok"
    (work / "more.py").write_text("x = 1\n")
    git_client.run("add", "more.py", cwd=work)
    git_client.run("commit", "-qm", "more", cwd=work)
    push = git_client.run("push", "origin", "master", cwd=work, check=False)
    assert push.returncode != 0 and "scope" in push.stderr


def test_the_api_refuses_it_unless_a_view_opts_in(client, people, private_module):
    raw = issue_internal_token(people.owner, [private_module.credential_resource])
    response = client.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert "Internal credentials" in response.json()["detail"]
