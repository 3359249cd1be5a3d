"""The AI Library (cards, sorting, filters, the empty invitation) and the /<user>/ pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from modules import services
from modules.models import Module
from tests.test_module_page import publish

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return re.findall(r'class="title" href="[^"]+">([^<]+)</a>', response.content.decode())


def test_an_empty_library_invites_to_create_a_module(client, people):
    page = client.get("/").content.decode()
    assert 'data-testid="empty-library"' in page and "Sign up" in page
    client.force_login(people.owner)
    assert "Create the first AI module" in client.get("/").content.decode()


def test_cards_show_kind_data_types_latest_version_and_when(client, people):
    module = services.create_module(
        people.owner, name="Cat Net", kind="model", data_types=["image", "text"]
    )
    publish(module, version=1)
    publish(module, version=2)
    publish(module, version=3, status="failed")
    page = client.get("/").content.decode()
    assert "Model" in page and "image, text" in page
    assert 'data-testid="card-version">v2</span>' in page and "published 0" in page


def test_the_library_sorts_by_update_publication_and_name(client, people):
    older = services.create_module(people.owner, name="Beta", kind="model", data_types=["image"])
    newer = services.create_module(people.owner, name="Alpha", kind="model", data_types=["image"])
    unpublished = services.create_module(
        people.owner, name="Gamma", kind="model", data_types=["image"]
    )
    Module.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(days=3))
    Module.objects.filter(pk=newer.pk).update(updated_at=timezone.now() - timedelta(days=2))
    publish(older, version=1)  # published just now: the most recent publication
    publish(newer, version=1)
    from publishing.models import Publication

    Publication.objects.filter(module=newer).update(finished_at=timezone.now() - timedelta(days=1))
    owner = people.owner.username
    assert titles(client.get("/")) == [f"{owner}/gamma", f"{owner}/alpha", f"{owner}/beta"]
    assert titles(client.get("/?sort=published")) == [
        f"{owner}/beta",
        f"{owner}/alpha",
        f"{owner}/gamma",
    ]
    assert titles(client.get("/?sort=name")) == [
        f"{owner}/alpha",
        f"{owner}/beta",
        f"{owner}/gamma",
    ]
    assert titles(client.get("/?sort=bogus")) == titles(client.get("/"))
    assert unpublished


def test_filters_apply_on_change_without_a_button(client, people):
    services.create_module(people.owner, name="Net", kind="model", data_types=["image"])
    page = client.get("/").content.decode()
    form = page[page.index('data-testid="filters"') : page.index("</form>")]
    assert form.count("data-submit-on-change") == 3
    assert "<noscript><button" in form


def test_a_user_page_lists_the_modules_a_visitor_may_see(
    client, people, public_module, private_module
):
    url = f"/{people.owner.username}/"
    anonymous = client.get(url).content.decode()
    assert "public-net" in anonymous and "secret-net" not in anonymous
    client.force_login(people.reader)
    assert "secret-net" in client.get(url).content.decode()


def test_your_own_page_also_lists_modules_shared_with_you(
    client, people, public_module, private_module
):
    client.force_login(people.writer)
    page = client.get(f"/{people.writer.username}/").content.decode()
    shared = page[page.index('data-testid="shared-modules"') :]
    assert "Shared with you" in page and "public-net" in shared and "secret-net" in shared
    client.force_login(people.outsider)
    other = client.get(f"/{people.writer.username}/").content.decode()
    assert "Collaborates on" in other and "secret-net" not in other


def test_an_unknown_user_is_a_plain_404(client):
    response = client.get("/nobody-here/")
    assert response.status_code == 404 and b"Resolver404" not in response.content
    assert b"No user" in response.content


def test_the_active_tab_is_marked(client, public_module):
    public_module.repository.commit_files("master", {"a.py": b"1"}, "Add", "O", "o@example.com")
    page = client.get(f"/{public_module.full_name}/commits/").content.decode()
    assert re.search(r'href="[^"]*/commits/[^"]*" class="active" aria-current="page">Commits', page)


def test_browsing_at_a_commit_shows_its_short_sha_in_the_branch_menu(client, public_module):
    sha = public_module.repository.commit_files("master", {"a.py": b"1"}, "Add", "O", "o@e.com")
    page = client.get(f"/{public_module.full_name}/?ref={sha}").content.decode()
    assert f"commit {sha[:10]}</option>" in page and f">{sha}</option>" not in page
