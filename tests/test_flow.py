"""The rough edges of the flow: New file overwrites, the blocked wizard, the build log page."""

from __future__ import annotations

import functools
import html
import os
import subprocess

import pytest

from publishing import services
from publishing.models import BaseEnvironment, LogLine, Publication
from tests.fakes import FakeBuilder
from tests.test_module_page import publish

pytestmark = pytest.mark.django_db

GOOD = (
    b"import argparse\np = argparse.ArgumentParser()\n"
    b'p.add_argument("--input-path", required=True)\n'
    b'p.add_argument("--output-path", required=True)\n'
)
BAD = b"import argparse\np = argparse.ArgumentParser()\np.add_argument('--epochs')\n"


@pytest.fixture(autouse=True)
def fake_builder(settings, monkeypatch):
    settings.IMAGE_BUILDER = "tests.fakes.FakeBuilder"
    FakeBuilder.reset()
    monkeypatch.setattr(services.starting, "_enqueue", lambda pk: None)
    BaseEnvironment.objects.create(
        name="python-3.11", image="mlreef/python:3.11", python_version="3.11"
    )


def commit(module, files):
    return module.repository.commit_files("master", files, "Add", "Olivia", "o@example.com")


def test_new_file_asks_before_replacing_an_existing_file(client, people, public_module):
    commit(public_module, {"train.py": b"my own script\n"})
    client.force_login(people.owner)
    url = f"/{public_module.full_name}/new-file/"
    form = {"path": "train.py", "content": "template\n", "branch": "master", "message": "Add"}
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert b"already exists on master" in refused.content
    assert b'type="checkbox" name="overwrite"' in refused.content
    assert public_module.repository.read_file("master", "train.py") == b"my own script\n"
    replaced = client.post(url, {**form, "overwrite": "on"})
    assert replaced.status_code == 302
    assert public_module.repository.read_file("master", "train.py") == b"template\n"
    created = client.post(url, {**form, "path": "other.py"})
    assert created.status_code == 302


def walk_to_parameters(client, module, entrypoint="train.py", requirements="requirements.txt"):
    return client.post(
        f"/{module.full_name}/publish/?step=source",
        {"ref": "master", "entrypoint": entrypoint, "requirements_path": requirements},
    )


def test_the_wizard_stops_at_a_blocking_parameter_problem(client, people, public_module):
    head = commit(public_module, {"train.py": BAD, "requirements.txt": b""})
    client.force_login(people.owner)
    walk_to_parameters(client, public_module)
    url = f"/{public_module.full_name}/publish/"
    page = html.unescape(client.get(url + "?step=parameters").content.decode())
    assert 'disabled title="Fix the problem above first"' in page
    assert 'parser.add_argument("--input-path", required=True' in page  # the whole fix
    refused = client.post(url + "?step=parameters", {"name": ["epochs"], "visible": ["epochs"]})
    assert refused.status_code == 400
    # Even straight to the review step: no version is spent and nothing is committed.
    session = client.session
    state = session[f"publish-wizard-{public_module.pk}"]
    state["base_environment"] = "python-3.11"
    session.save()
    review = client.post(url + "?step=review")
    assert review.status_code == 302 and review["Location"].endswith("?step=parameters")
    assert Publication.objects.count() == 0
    assert public_module.repository.resolve("master") == head


def test_the_requirements_file_is_chosen_from_the_revisions_files(client, people, public_module):
    commit(public_module, {"train.py": GOOD, "req/base.txt": b"", "data.csv": b"1"})
    client.force_login(people.owner)
    page = client.get(f"/{public_module.full_name}/publish/?step=source").content.decode()
    assert '<select name="requirements_path"' in page and '<option value="req/base.txt"' in page
    missing = walk_to_parameters(client, public_module)
    assert missing.status_code == 400
    assert b"Requirements file &#x27;requirements.txt&#x27; does not exist" in missing.content
    chosen = walk_to_parameters(client, public_module, requirements="req/base.txt")
    assert chosen.status_code == 302 and chosen["Location"].endswith("?step=parameters")


def test_a_failed_build_shows_the_whole_fix_in_its_banner(people, public_module):
    commit(public_module, {"train.py": BAD, "requirements.txt": b""})
    request = services.PublishRequest(
        ref="master", entrypoint="train.py", base_environment="python-3.11", write_config=False
    )
    publication = services.start_publication(public_module, people.owner, request)
    services.run_publication(publication.pk)
    publication.refresh_from_db()
    assert publication.status == "failed"
    assert 'parser.add_argument("--output-path", required=True' in publication.failure_reason


def failed_build(module):
    publication = publish(module, status="failed", failure_reason="pip's error is in the log.")
    steps = [
        ("cloning", "Cloning"),
        ("building", "\x1b[91mERROR: No matching distribution for nothing==9\x1b[0m"),
        ("failed", "Publishing failed (fix the module): pip's error is in the log."),
        ("failed", "== failed =="),
    ]
    for number, (step, text) in enumerate(steps, start=1):
        LogLine.objects.create(publication=publication, number=number, step=step, text=text)
    return publication


def test_the_log_page_strips_colours_and_marks_where_it_stopped(client, public_module):
    commit(public_module, {"train.py": GOOD})
    failed_build(public_module)
    page = client.get(f"/{public_module.full_name}/publications/1/").content.decode()
    assert "\x1b" not in page and "[91m" not in page and "ERROR: No matching" in page
    assert 'data-stopped-in="building"' in page
    assert '<li data-stage="building" class="failed">build</li>' in page
    assert '<span class="line failure" data-n="3">' in page
    assert "The log below is opened where it stopped." in page


def test_the_log_downloads_as_plain_text(client, public_module):
    commit(public_module, {"train.py": GOOD})
    failed_build(public_module)
    response = client.get(f"/{public_module.full_name}/publications/1/log.txt")
    text = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/plain")
    assert "attachment" in response["Content-Disposition"]
    assert "ERROR: No matching distribution" in text and "\x1b" not in text
    assert len(text.splitlines()) == 4


def test_the_log_of_a_private_module_is_not_downloadable_by_strangers(
    client, people, private_module
):
    commit(private_module, {"train.py": GOOD})
    failed_build(private_module)
    client.force_login(people.outsider)
    assert client.get(f"/{private_module.full_name}/publications/1/log.txt").status_code == 404


def test_the_commit_page_shows_what_changed(client, public_module, tmp_path):
    commit(public_module, {"a.py": b"one\ntwo\nthree\n", "gone.txt": b"bye\n"})
    repository = public_module.repository
    work = tmp_path / "work"
    env = {**os.environ, "GIT_AUTHOR_NAME": "O", "GIT_AUTHOR_EMAIL": "o@x"}
    env |= {"GIT_COMMITTER_NAME": "O", "GIT_COMMITTER_EMAIL": "o@x"}
    git = functools.partial(subprocess.run, check=True, env=env, capture_output=True)
    git(["git", "clone", "-q", str(public_module.repository_path), str(work)])
    (work / "a.py").write_text("one\n2\nthree\n")
    (work / "new.py").write_text("x = 1\n")
    (work / "gone.txt").unlink()
    git(["git", "-C", str(work), "add", "-A"])
    git(["git", "-C", str(work), "commit", "-q", "-m", "Change things\n\nWith a body."])
    git(["git", "-C", str(work), "push", "-q", "origin", "master"])
    sha = repository.resolve("master")
    page = html.unescape(client.get(f"/{public_module.full_name}/commit/{sha}/").content.decode())
    assert '3 files changed</strong>, <span class="additions">+2</span>' in page
    assert '<span class="deletions">−2</span>' in page and "With a body." in page
    assert '<code>new.py</code> <span class="tag">added</span>' in page
    assert '<code>gone.txt</code> <span class="tag">deleted</span>' in page
    assert '<span class="diff-del">-two\n</span><span class="diff-add">+2\n</span>' in page
    commits = client.get(f"/{public_module.full_name}/commits/").content.decode()
    assert f'href="/{public_module.full_name}/commit/{sha}/"' in commits
    root = repository.commits("master")[-1].sha
    first = client.get(f"/{public_module.full_name}/commit/{root}/").content.decode()
    assert "2 files changed" in first and "parent" not in first.split("diff-summary")[0][-400:]


@pytest.mark.parametrize("ref", ["0" * 40, "nope", "master@{1}", "-x"])
def test_unknown_commits_are_404(client, public_module, ref):
    commit(public_module, {"a.py": b"1"})
    assert client.get(f"/{public_module.full_name}/commit/{ref}/").status_code == 404


def test_a_private_modules_commits_stay_private(client, people, private_module):
    sha = commit(private_module, {"a.py": b"1"})
    client.force_login(people.outsider)
    assert client.get(f"/{private_module.full_name}/commit/{sha}/").status_code == 404
    client.force_login(people.reader)
    assert client.get(f"/{private_module.full_name}/commit/{sha}/").status_code == 200


def test_the_create_page_shows_owner_url_and_explanations(client, people):
    client.force_login(people.owner)
    page = html.unescape(client.get("/new/").content.decode())
    assert page.index('aria-label="Owner"') < page.index('name="name"')
    assert "http://testserver/olivia/<name>/" in page and "js/create.js" in page
    assert "Data visualization: draws charts" in page and "Private: only you and the" in page


def test_sign_up_help_shows_the_url_pattern(client):
    page = client.get("/accounts/signup/").content.decode()
    assert "/&lt;username&gt;/&lt;module&gt;" in page


def test_the_token_form_asks_for_a_scope(client, people):
    client.force_login(people.owner)
    page = client.get("/accounts/profile/").content.decode()
    assert "pushing with git needs write" in page and " checked" not in page.split("scopes")[-1]
    refused = client.post("/accounts/profile/", {"name": "laptop"})
    assert refused.status_code == 400 and people.owner.tokens.count() == 0


def test_settings_has_sections_a_branch_menu_and_errors_beside_their_form(
    client, people, public_module
):
    commit(public_module, {"a.py": b"1"})
    public_module.repository.commit_files("dev", {"b.py": b"2"}, "Dev", "O", "o@example.com")
    client.force_login(people.owner)
    url = f"/{public_module.full_name}/settings/"
    page = client.get(url).content.decode()
    for section in ('id="general"', 'id="collaborators"', 'id="publishing"', 'id="danger"'):
        assert section in page
    assert '<select name="default_branch"' in page and '<option value="dev">' in page
    wrong = client.post(url, {"action": "delete", "confirm": "nope"}).content.decode()
    danger = wrong[wrong.index('id="danger"') :]
    assert "Type &#x27;public-net&#x27; to confirm deletion." in danger


def test_pages_have_a_favicon(client):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()
    assert client.get("/static/favicon.svg").status_code == 200


def test_publishing_tells_to_pull_after_committing_mlreef_yml(client, people, public_module):
    commit(public_module, {"train.py": GOOD, "requirements.txt": b""})
    client.force_login(people.owner)
    url = f"/{public_module.full_name}/publish/"
    walk_to_parameters(client, public_module)
    client.post(url + "?step=parameters", {"name": ["input_path"], "visible": ["input_path"]})
    client.post(url + "?step=environment", {"base_environment": "python-3.11"})
    started = client.post(url + "?step=review", follow=True).content.decode()
    assert "run git pull before your next push" in started
    assert public_module.repository.read_file("master", "mlreef.yml")


@pytest.mark.parametrize(
    ("public_url", "expected"), [("", "http://testserver"), ("https://hub.example.com", None)]
)
def test_the_image_source_label_uses_the_address_the_hub_was_reached_at(
    client, settings, people, public_module, public_url, expected
):
    settings.PUBLIC_URL = public_url
    commit(public_module, {"train.py": GOOD, "requirements.txt": b""})
    client.force_login(people.owner)
    response = client.post(
        f"/api/v1/modules/{public_module.full_name}/publications/",
        {"entrypoint": "train.py", "base_environment": "python-3.11"},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    publication = Publication.objects.get()
    services.run_publication(publication.pk)
    labels = FakeBuilder.requests[-1].labels
    source = f"{expected or public_url}/{public_module.full_name}/"
    assert labels["org.opencontainers.image.source"] == source
