"""Git smart HTTP with the real git client against a real gunicorn server."""

from __future__ import annotations

import gzip
import os
import threading
import time
import urllib.error
import urllib.request

import psutil
import pytest

from accounts.models import PersonalAccessToken
from modules.models import Module
from tests.conftest import PASSWORD
from tests.helpers import url_with_credentials

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = "import argparse\nparser = argparse.ArgumentParser()\n"


def clone_url(hub, module: Module, user=None, secret: str | None = None) -> str:
    return url_with_credentials(hub.url, module.clone_path(), user and user.username, secret)


def http_status(url: str, headers: dict | None = None, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_it_lets_anyone_clone_a_public_module(hub, git_client, public_module, people, tmp_path):
    public_module.repository.commit_files(
        "master", {"train.py": SCRIPT.encode()}, "Add code", "Olivia", "o@example.com"
    )
    git_client.run("clone", clone_url(hub, public_module), str(tmp_path / "copy"))
    assert (tmp_path / "copy" / "train.py").read_text() == SCRIPT


def test_it_challenges_anonymous_and_hides_private_modules_from_outsiders(
    hub, git_client, private_module, people, tmp_path
):
    anonymous = git_client.run(
        "clone", clone_url(hub, private_module), str(tmp_path / "a"), check=False
    )
    assert anonymous.returncode != 0
    assert "could not read Username" in anonymous.stderr  # git was asked to prompt: a 401
    assert (
        http_status(hub.url + private_module.clone_path() + "/info/refs?service=git-upload-pack")
        == 401
    )

    outsider = git_client.run(
        "clone",
        clone_url(hub, private_module, people.outsider, PASSWORD),
        str(tmp_path / "b"),
        check=False,
    )
    assert outsider.returncode != 0
    assert "404" in outsider.stderr or "not found" in outsider.stderr.lower()

    reader = git_client.run(
        "clone",
        clone_url(hub, private_module, people.reader, PASSWORD),
        str(tmp_path / "c"),
    )
    assert reader.returncode == 0


def test_it_accepts_a_push_with_password_and_shows_it_at_once(
    hub, git_client, private_module, people, tmp_path, client
):
    work = git_client.new_work_tree(tmp_path / "w", {"train.py": SCRIPT, "README.md": "# Net\n"})
    git_client.run(
        "push", clone_url(hub, private_module, people.owner, PASSWORD), "master", cwd=work
    )
    head = git_client.run("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert private_module.repository.resolve("master") == head
    client.force_login(people.reader)
    page = client.get(private_module.get_absolute_url())
    assert b"train.py" in page.content and head[:10].encode() in page.content


def test_it_accepts_a_push_with_a_token_and_a_write_collaborator(
    hub, git_client, public_module, people, tmp_path
):
    _, raw = PersonalAccessToken.issue(people.writer, "laptop", ["write"])
    work = git_client.new_work_tree(tmp_path / "w", {"train.py": SCRIPT})
    git_client.run("push", clone_url(hub, public_module, people.writer, raw), "master", cwd=work)
    token = PersonalAccessToken.objects.get(name="laptop")
    assert token.last_used_at is not None
    assert public_module.repository.list_files("master") == ["train.py"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", "could not read Username"), ("reader", "403"), ("outsider", "403")],
)
def test_it_refuses_pushes_without_write_access(
    hub, git_client, public_module, people, tmp_path, who, expected
):
    user = {"anonymous": None, "reader": people.reader, "outsider": people.outsider}[who]
    work = git_client.new_work_tree(tmp_path / "w", {"train.py": SCRIPT})
    result = git_client.run(
        "push", clone_url(hub, public_module, user, PASSWORD), "master", cwd=work, check=False
    )
    assert result.returncode != 0
    assert expected in result.stderr
    assert public_module.repository.is_empty()


def test_it_answers_401_to_a_push_without_credentials(hub, public_module):
    url = hub.url + public_module.clone_path() + "/info/refs?service=git-receive-pack"
    request = urllib.request.Request(url)
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 401
    assert error.value.headers["WWW-Authenticate"].startswith("Basic")


def test_it_refuses_tokens_that_are_read_only_revoked_or_expired(
    hub, git_client, public_module, people, tmp_path
):
    from datetime import timedelta

    from django.utils import timezone

    work = git_client.new_work_tree(tmp_path / "w", {"train.py": SCRIPT})
    _, read_only = PersonalAccessToken.issue(people.owner, "ro", ["read"])
    revoked, revoked_raw = PersonalAccessToken.issue(people.owner, "old", ["write"])
    revoked.revoke()
    _, expired_raw = PersonalAccessToken.issue(
        people.owner, "exp", ["write"], timezone.now() - timedelta(minutes=1)
    )
    result = git_client.run(
        "push",
        clone_url(hub, public_module, people.owner, read_only),
        "master",
        cwd=work,
        check=False,
    )
    assert "403" in result.stderr
    for raw in (revoked_raw, expired_raw):
        result = git_client.run(
            "push",
            clone_url(hub, public_module, people.owner, raw),
            "master",
            cwd=work,
            check=False,
        )
        assert result.returncode != 0 and "Authentication failed" in result.stderr
    assert public_module.repository.is_empty()


def test_it_says_the_module_does_not_exist_on_push(hub, git_client, people, tmp_path):
    work = git_client.new_work_tree(tmp_path / "w", {"train.py": SCRIPT})
    url = url_with_credentials(hub.url, "/olivia/nothing-here.git", "olivia", PASSWORD)
    result = git_client.run("push", url, "master", cwd=work, check=False)
    assert result.returncode != 0
    assert "Module not found. Create it on the hub" in result.stderr


def test_it_serves_protocol_v2(hub, git_client, public_module, tmp_path):
    sha = public_module.repository.commit_files(
        "master", {"a.py": b"x = 1\n"}, "Add", "Olivia", "o@example.com"
    )
    result = git_client.run(
        "-c",
        "protocol.version=2",
        "ls-remote",
        clone_url(hub, public_module),
        extra_env={"GIT_TRACE_PACKET": "1"},
    )
    assert f"{sha}\trefs/heads/master" in result.stdout
    assert "version 2" in result.stderr  # the server answered with a v2 capability advertisement
    git_client.run(
        "-c", "protocol.version=2", "clone", clone_url(hub, public_module), str(tmp_path / "v2")
    )
    assert (tmp_path / "v2" / "a.py").exists()


def test_it_inflates_gzip_request_bodies(hub, public_module):
    sha = public_module.repository.commit_files(
        "master", {"a.py": b"x = 1\n"}, "Add", "Olivia", "o@example.com"
    )

    def pkt(line: str) -> bytes:
        return f"{len(line) + 4:04x}{line}".encode()

    body = pkt(f"want {sha} ofs-delta\n") + b"0000" + pkt("done\n")
    request = urllib.request.Request(
        hub.url + public_module.clone_path() + "/git-upload-pack",
        data=gzip.compress(body),
        headers={
            "Content-Type": "application/x-git-upload-pack-request",
            "Content-Encoding": "gzip",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = response.read()
    assert response.headers["Content-Type"] == "application/x-git-upload-pack-result"
    assert b"PACK" in payload


def _rss_tree(process: psutil.Process) -> int:
    """RSS of gunicorn's master and workers. Not their children: a git process just forked
    from a worker still shows gunicorn's command line and the worker's pages (seen under load
    as a worker's whole RSS of "growth")."""
    total = 0
    for proc in [process, *process.children()]:
        try:
            if "gunicorn" in " ".join(proc.cmdline()):
                total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


@pytest.mark.slow
def test_it_streams_a_50_mb_push_without_the_server_growing(
    hub, git_client, public_module, people, tmp_path
):
    work = git_client.new_work_tree(tmp_path / "w", {"train.py": SCRIPT})
    url = clone_url(hub, public_module, people.owner, PASSWORD)
    git_client.run("push", url, "master", cwd=work)  # warm the worker up
    (work / "weights.bin").write_bytes(os.urandom(50 * 1024 * 1024))
    git_client.run("add", "weights.bin", cwd=work)
    git_client.run("commit", "-q", "-m", "Add weights", cwd=work)

    server = psutil.Process(hub.process.pid)
    baseline = _rss_tree(server)
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_tree(server))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        git_client.run("push", url, "master", cwd=work)
    finally:
        done.set()
        sampler.join()
    growth_mb = (peak - baseline) / 2**20
    print(f"gunicorn RSS baseline {baseline / 2**20:.1f} MiB, peak growth {growth_mb:.1f} MiB")
    assert "weights.bin" in public_module.repository.list_files("master")
    assert growth_mb < 20, f"server grew by {growth_mb:.1f} MiB during a 50 MiB push"


def test_old_clone_urls_keep_working_after_a_rename(hub, git_client, public_module, tmp_path):
    from modules import services

    public_module.repository.commit_files(
        "master", {"a.py": b"x = 1\n"}, "Add", "Olivia", "o@example.com"
    )
    old_url = clone_url(hub, public_module)
    services.update_module(public_module, slug="renamed-net")
    git_client.run("clone", old_url, str(tmp_path / "copy"))
    assert (tmp_path / "copy" / "a.py").exists()


def test_a_push_publishes_when_the_module_opted_in(
    hub, git_client, public_module, people, tmp_path
):
    from publishing import services as publishing_services
    from publishing.models import BaseEnvironment, Publication

    BaseEnvironment.objects.create(name="py", image="mlreef/python:3.11", python_version="3.11")
    public_module.repository.commit_files(
        "master",
        {
            "train.py": SCRIPT.encode(),
            "mlreef.yml": b"entrypoints:\n  training:\n    path: train.py\nbase_environment:\n"
            b"  name: py\n",
        },
        "Add",
        "Olivia",
        "o@example.com",
    )
    public_module.publish_on_push = True
    public_module.publish_branch = "master"
    public_module.save()
    url = clone_url(hub, public_module, people.owner, PASSWORD)
    work = tmp_path / "clone"
    git_client.run("clone", "-q", url, str(work))
    (work / "train.py").write_text(SCRIPT + "# change\n")
    git_client.run("commit", "-qam", "Change", cwd=work)
    git_client.run("push", "-q", "origin", "master", cwd=work)
    publication = Publication.objects.get()
    publishing_services.cancel_publication(publication)  # no build needed for this test
    head = git_client.run("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert publication.commit_sha == head and publication.published_by is None
    assert publication.entrypoint == "train.py" and publication.branch == "master"
