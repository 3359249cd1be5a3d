"""Inputs that used to give 500s: odd refs, unreadable trees, a default branch that does not
exist, names too long for a file system, invalid branch names. Each answers 4xx or works."""

from __future__ import annotations

import subprocess

import pytest
from django.conf import settings

from modules import services as module_services
from modules.file_templates import TEMPLATES
from publishing import services as publishing_services
from publishing.models import BaseEnvironment, Publication, Status
from tests.helpers import GIT

pytestmark = pytest.mark.django_db

TRAIN = TEMPLATES["model"].render().encode()
ODD_REFS = ["master@{1}", "HEAD@{0}", "@{-1}", "master@{u}", "master@{}", "0" * 40, "-h"]


@pytest.fixture
def module(public_module):
    public_module.repository.commit_files(
        "master",
        {"train.py": TRAIN, "requirements.txt": b""},
        "Add",
        "Olivia",
        "o@example.com",
    )
    BaseEnvironment.objects.create(name="py", image="mlreef/python:3.11", python_version="3.11")
    return public_module


def browse_urls(module, ref: str) -> list[str]:
    page, api = module.get_absolute_url(), f"/api/v1/modules/{module.full_name}"
    return [
        f"{page}?ref={ref}",
        f"{page}blob/?ref={ref}&path=train.py",
        f"{page}raw/?ref={ref}&path=train.py",
        f"{page}commits/?ref={ref}",
        f"{api}/tree/?ref={ref}",
        f"{api}/raw/?ref={ref}&path=train.py",
        f"{api}/commits/?ref={ref}",
    ]


@pytest.mark.parametrize("ref", ODD_REFS)
def test_refs_git_cannot_resolve_are_404_everywhere(client, people, module, ref, settings):
    settings.IMAGE_BUILDER = "tests.fakes.FakeBuilder"
    from urllib.parse import quote

    for url in browse_urls(module, quote(ref)):
        assert client.get(url).status_code == 404, url
    client.force_login(people.owner)
    response = client.post(
        f"/api/v1/modules/{module.full_name}/publications/",
        {"ref": ref, "entrypoint": "train.py", "base_environment": "py"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "No branch or commit" in response.json()["detail"]


def test_branches_tags_and_commit_ids_still_resolve(client, module):
    sha = module.repository.resolve("master")
    module.repository._git.tag("v1", sha)
    for ref in ("master", "v1", sha, sha[:12]):
        assert (
            client.get(module.get_absolute_url() + f"raw/?ref={ref}&path=train.py").status_code
            == 200
        )


def literal_commit(module, entries: list[tuple[str, bytes]], branch: str) -> str:
    """Write a commit whose tree holds exactly ``entries`` (name, content), whatever git's
    rules: the state a repository pushed to before fsck checks could be in."""
    git_dir = str(module.repository_path)

    def git(*args: str, data: bytes | None = None) -> str:
        return (
            subprocess.run(
                [GIT, "--git-dir", git_dir, *args], input=data, capture_output=True, check=True
            )
            .stdout.decode()
            .strip()
        )

    tree = b""
    for name, content in entries:
        blob = git("hash-object", "-w", "--stdin", data=content)
        tree += b"100644 " + name.encode() + b"\x00" + bytes.fromhex(blob)
    tree_sha = git("hash-object", "-t", "tree", "-w", "--literally", "--stdin", data=tree)
    commit = (
        subprocess.run(
            [GIT, "--git-dir", git_dir, "commit-tree", tree_sha, "-m", "odd"],
            capture_output=True,
            check=True,
            env={
                "GIT_AUTHOR_NAME": "x",
                "GIT_AUTHOR_EMAIL": "x@x",
                "GIT_COMMITTER_NAME": "x",
                "GIT_COMMITTER_EMAIL": "x@x",
                "PATH": "/usr/bin:/bin",
            },
        )
        .stdout.decode()
        .strip()
    )
    git("update-ref", f"refs/heads/{branch}", commit)
    return commit


@pytest.mark.parametrize("name", ["a/b", "..", "/abs", ".git"])
def test_trees_that_cannot_be_read_are_404_not_500(client, module, name):
    literal_commit(module, [(name, b"x"), ("train.py", TRAIN)], "odd")
    for url in browse_urls(module, "odd"):
        assert client.get(url).status_code < 500, url
    assert client.get(module.get_absolute_url() + "?ref=odd&path=" + name).status_code < 500


def test_a_default_branch_that_does_not_exist_falls_back_to_an_existing_one(
    client, people, public_module, settings
):
    settings.IMAGE_BUILDER = "tests.fakes.FakeBuilder"
    BaseEnvironment.objects.create(name="py", image="mlreef/python:3.11", python_version="3.11")
    public_module.repository.commit_files(
        "main", {"train.py": TRAIN, "requirements.txt": b""}, "Add", "O", "o@example.com"
    )
    assert public_module.default_branch == "master"
    page = client.get(public_module.get_absolute_url())
    assert page.status_code == 200 and b"train.py" in page.content
    history = client.get(public_module.get_absolute_url() + "commits/")
    assert history.status_code == 200 and b"Add" in history.content
    client.force_login(people.owner)
    response = client.post(
        f"/api/v1/modules/{public_module.full_name}/publications/",
        {"entrypoint": "train.py", "base_environment": "py"},
        content_type="application/json",
    )
    assert response.status_code == 202 and response.json()["branch"] == "main"


def test_the_first_push_makes_the_pushed_branch_the_default(public_module):
    public_module.repository.commit_files("main", {"a.py": b"1"}, "Add", "O", "o@example.com")
    module_services.adopt_first_push(public_module, ["main"])
    public_module.refresh_from_db()
    assert public_module.default_branch == "main" and public_module.publish_branch == "main"
    head = subprocess.run(
        [GIT, "--git-dir", str(public_module.repository_path), "symbolic-ref", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert head == "refs/heads/main"


def test_a_name_too_long_to_check_out_fails_the_build_as_a_user_error(module, people, settings):
    settings.IMAGE_BUILDER = "tests.fakes.FakeBuilder"
    sha = literal_commit(module, [("x" * 300 + ".py", b"1"), ("train.py", TRAIN)], "long")
    publication = Publication.objects.create(
        module=module,
        version=1,
        branch="long",
        commit_sha=sha,
        entrypoint="train.py",
        base_environment=BaseEnvironment.objects.get(),
        builder="FakeBuilder",
    )
    publishing_services.run_publication(publication.pk)
    publication.refresh_from_db()
    assert publication.status == Status.FAILED and publication.failure_kind == "user"
    assert "cannot be written out" in publication.failure_reason


@pytest.mark.parametrize("branch", ["a b", "a..b", "x.lock", "-x", "a~b"])
def test_invalid_branch_names_are_400_and_leave_no_directory(client, people, branch):
    client.force_login(people.owner)
    before = set(settings.REPOSITORIES_DIR.iterdir())
    base = {"name": "Net", "kind": "model", "data_types": ["image"], "visibility": "public"}
    for field in ("default_branch", "publish_branch"):
        response = client.post(
            "/api/v1/modules/", {**base, field: branch}, content_type="application/json"
        )
        assert response.status_code == 400 and field in response.json(), response.content
    assert set(settings.REPOSITORIES_DIR.iterdir()) == before


def test_a_failing_git_init_leaves_no_half_created_directory(people, monkeypatch):
    from modules.repository import Repository

    def half_create(self, default_branch):
        (self.path / "objects").mkdir(parents=True)
        raise subprocess.CalledProcessError(128, "git init")

    monkeypatch.setattr(Repository, "create", half_create)
    before = set(settings.REPOSITORIES_DIR.iterdir())
    with pytest.raises(subprocess.CalledProcessError):
        module_services.create_module(
            people.owner, name="Net", kind="model", data_types=["image"], visibility="public"
        )
    assert set(settings.REPOSITORIES_DIR.iterdir()) == before


def test_settings_refuse_an_invalid_publish_branch(people, public_module):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        module_services.update_module(public_module, publish_branch="a..b")
    assert "publish_branch" in error.value.message_dict
