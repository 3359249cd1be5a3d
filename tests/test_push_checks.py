"""What a push may not do, checked by git before any ref moves (real git, real gunicorn)."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.db import connections

from tests.conftest import PASSWORD, wait_for_other_sessions_to_close
from tests.helpers import GIT, start_gunicorn, url_with_credentials

pytestmark = pytest.mark.django_db(transaction=True)

FILE_LIMIT = 4000
PUSH_LIMIT = 300_000


@pytest.fixture(scope="module")
def strict_hub(django_db_setup, django_db_blocker, tmp_path_factory):
    """A hub with small limits, so the tests need no large files."""
    with django_db_blocker.unblock():
        db = dict(connections["default"].settings_dict)
    env = {"MAX_FILE_SIZE": str(FILE_LIMIT), "MAX_PUSH_SIZE": str(PUSH_LIMIT)}
    server = start_gunicorn(db, tmp_path_factory.mktemp("strict") / "hub.log", env)
    yield server
    server.stop()
    with django_db_blocker.unblock():
        wait_for_other_sessions_to_close(connections["default"])


def remote(hub, module, user) -> str:
    return url_with_credentials(hub.url, module.clone_path(), user.username, PASSWORD)


def push(git_client, hub, module, user, work, *refspecs, force=False):
    args = ["push", *(["--force"] if force else []), remote(hub, module, user), *refspecs]
    return git_client.run(*args, cwd=work, check=False)


def test_it_refuses_files_over_the_per_file_limit(
    strict_hub, git_client, public_module, people, tmp_path
):
    work = git_client.new_work_tree(
        tmp_path / "w", {"small.py": "x = 1\n", "data/big.bin": os.urandom(FILE_LIMIT + 1)}
    )
    result = push(git_client, strict_hub, public_module, people.owner, work, "master")
    assert result.returncode != 0
    assert f"'data/big.bin' is {FILE_LIMIT + 1} bytes; the limit per file is" in result.stderr
    assert public_module.repository.is_empty()


def test_it_refuses_pushes_over_the_size_limit(
    strict_hub, git_client, public_module, people, tmp_path
):
    files = {f"part{i}.bin": os.urandom(3000) for i in range(PUSH_LIMIT // 3000 + 20)}
    work = git_client.new_work_tree(tmp_path / "w", files)
    result = push(git_client, strict_hub, public_module, people.owner, work, "master")
    assert result.returncode != 0
    assert "pack exceeds maximum allowed size" in result.stderr
    assert public_module.repository.is_empty()


def commit_with_entry(git_client, work, name: str) -> str:
    """A commit whose tree holds one file called ``name``, whatever git or the disk allow."""
    blob = git_client.run("hash-object", "-w", "train.py", cwd=work).stdout.strip()
    entry = b"100644 " + name.encode() + b"\x00" + bytes.fromhex(blob)
    tree = subprocess.run(
        [GIT, "hash-object", "-t", "tree", "-w", "--literally", "--stdin"],
        input=entry,
        cwd=work,
        capture_output=True,
        env=git_client.env,
        check=True,
    )
    return git_client.run(
        "commit-tree", tree.stdout.decode().strip(), "-m", "odd", cwd=work
    ).stdout.strip()


def test_it_refuses_names_longer_than_255_bytes(
    strict_hub, git_client, public_module, people, tmp_path
):
    work = git_client.new_work_tree(tmp_path / "w", {"train.py": "x = 1\n"})
    commit = commit_with_entry(git_client, work, "é" * 128 + ".py")
    result = push(
        git_client, strict_hub, public_module, people.owner, work, f"{commit}:refs/heads/master"
    )
    assert result.returncode != 0 and "longer than 255 bytes" in result.stderr
    assert public_module.repository.is_empty()


@pytest.mark.parametrize("name", ["..", ".git", "a/b", ".GIT"])
def test_fsck_refuses_trees_with_dangerous_names(
    strict_hub, git_client, public_module, people, tmp_path, name
):
    work = git_client.new_work_tree(tmp_path / "w", {"train.py": "x = 1\n"})
    commit = commit_with_entry(git_client, work, name)
    result = push(
        git_client, strict_hub, public_module, people.owner, work, f"{commit}:refs/heads/master"
    )
    assert result.returncode != 0
    assert "fsck" in result.stderr or "unpacker error" in result.stderr
    assert public_module.repository.is_empty()


def test_write_collaborators_cannot_delete_or_rewrite_the_default_branch(
    strict_hub, git_client, public_module, people, tmp_path
):
    work = git_client.new_work_tree(tmp_path / "w", {"train.py": "x = 1\n"})
    assert push(git_client, strict_hub, public_module, people.owner, work, "master").returncode == 0
    git_client.run("push", remote(strict_hub, public_module, people.owner), "master:side", cwd=work)
    first = git_client.run("rev-parse", "HEAD", cwd=work).stdout.strip()
    git_client.run("commit", "--amend", "-qm", "Rewritten", cwd=work)

    rewrite = push(git_client, strict_hub, public_module, people.writer, work, "master", force=True)
    assert rewrite.returncode != 0 and "Rewriting the default branch 'master'" in rewrite.stderr
    delete = push(git_client, strict_hub, public_module, people.writer, work, ":master")
    assert delete.returncode != 0 and "Deleting the default branch 'master'" in delete.stderr
    assert public_module.repository.resolve("master") == first
    # Other branches stay theirs to rewrite; the owner may rewrite the default branch.
    assert (
        push(
            git_client, strict_hub, public_module, people.writer, work, "master:side", force=True
        ).returncode
        == 0
    )
    public_module.allow_force_push = True
    public_module.save()
    allowed = push(git_client, strict_hub, public_module, people.writer, work, "master", force=True)
    assert allowed.returncode == 0, allowed.stderr
    public_module.allow_force_push = False
    public_module.save()
    git_client.run("commit", "--amend", "-qm", "Rewritten again", cwd=work)
    owner = push(git_client, strict_hub, public_module, people.owner, work, "master", force=True)
    assert owner.returncode == 0, owner.stderr


def test_the_first_push_of_main_makes_main_the_default_branch(
    strict_hub, git_client, public_module, people, tmp_path, client
):
    work = git_client.new_work_tree(tmp_path / "w", {"train.py": "x = 1\n"})
    git_client.run("branch", "-m", "master", "main", cwd=work)
    assert push(git_client, strict_hub, public_module, people.owner, work, "main").returncode == 0
    public_module.refresh_from_db()
    assert public_module.default_branch == "main"
    page = client.get(public_module.get_absolute_url())
    assert page.status_code == 200 and b"train.py" in page.content
