"""Users change their password when logged in and reset it by e-mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "a-brand-new-passphrase-42"


def test_a_logged_in_user_changes_the_password(client, people):
    client.force_login(people.owner)
    assert b"Change password" in client.get("/accounts/profile/").content
    wrong = client.post(
        "/accounts/password/change/",
        {"old_password": "nope", "new_password1": NEW, "new_password2": NEW},
    )
    assert wrong.status_code == 200 and b"incorrectly" in wrong.content
    done = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/password/change/done/"
    people.owner.refresh_from_db()
    assert people.owner.check_password(NEW)


def test_password_change_needs_a_login(client):
    response = client.get("/accounts/password/change/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_password_is_reset_through_the_link_sent_by_e_mail(client, people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert b"Reset it" in client.get("/accounts/login/").content
    response = client.post("/accounts/password/reset/", {"email": "olivia@example.com"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200 and b"Choose a new password" in form.content
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    people.owner.refresh_from_db()
    assert people.owner.check_password(NEW)
    used_again = client.get(link.group(1), follow=True)
    assert b"no longer works" in used_again.content


def test_unknown_addresses_get_the_same_answer_and_no_mail(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and mail.outbox == []


def test_reset_requests_are_limited_per_address(client, people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SIGNUPS_PER_ADDRESS = 2
    for _ in range(2):
        client.post("/accounts/password/reset/", {"email": "olivia@example.com"})
    third = client.post("/accounts/password/reset/", {"email": "olivia@example.com"})
    assert third.status_code == 429 and len(mail.outbox) == 2


def test_by_default_mail_goes_to_files_in_the_data_directory():
    from mlreef import settings  # the module itself: the test runner swaps the backend

    assert settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")
    assert str(settings.EMAIL_FILE_PATH).startswith(str(settings.DATA_DIR))
