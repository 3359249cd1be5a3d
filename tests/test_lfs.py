"""Git LFS with the real git-lfs client against a real gunicorn server."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import urllib.error
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from accounts.internal import issue_internal_token
from accounts.models import PersonalAccessToken
from modules import services
from modules.lfs.objects import lfs_store
from modules.lfs.protocol import CONTENT_TYPE
from modules.models import LfsObject, LfsReference
from tests.conftest import PASSWORD
from tests.helpers import start_gunicorn, url_with_credentials

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lfs_client(git_client):
    if shutil.which("git-lfs") is None:
        pytest.skip("git-lfs is not installed (apt-get install git-lfs)")
    git_client.run("lfs", "install", "--skip-repo")
    return git_client


@pytest.fixture
def dataset(people):
    dataset = services.create_module(
        people.owner,
        name="Cats",
        slug="cats",
        kind="dataset",
        data_types=["image", "tabular"],
        visibility="private",
    )
    services.set_collaborator(dataset, people.writer.username, "write")
    services.set_collaborator(dataset, people.reader.username, "read")
    return dataset


def remote(hub, module, user=None, secret=None) -> str:
    return url_with_credentials(hub.url, module.clone_path(), user and user.username, secret)


def lfs_work_tree(client, path, files: dict[str, bytes]):
    path.mkdir(parents=True)
    client.run("init", "-q", "-b", "master", cwd=path)
    client.run("lfs", "track", "*.csv", "*.bin", cwd=path)
    for name, data in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    client.run("add", "-A", cwd=path)
    client.run("commit", "-q", "-m", "Add data", cwd=path)
    return path


def lfs_post(url: str, body: dict, username=None, secret=None) -> tuple[int, dict]:
    """POST JSON the way git-lfs does; (status, decoded answer)."""
    headers = {"Accept": CONTENT_TYPE, "Content-Type": CONTENT_TYPE}
    if username is not None:
        raw = base64.b64encode(f"{username}:{secret}".encode()).decode()
        headers["Authorization"] = f"Basic {raw}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_push_and_clone_with_lfs_by_password(hub, lfs_client, dataset, people, tmp_path):
    big = os.urandom(3 * 1024 * 1024 + 17)
    table = b"a,b\n" + b"1,2\n" * 1000
    work = lfs_work_tree(lfs_client, tmp_path / "w", {"big.bin": big, "data/t.csv": table})
    pushed = lfs_client.run(
        "push", remote(hub, dataset, people.writer, PASSWORD), "master", cwd=work
    )
    assert "locking" not in pushed.stderr.lower(), pushed.stderr  # the locks API answered
    for data in (big, table):
        assert lfs_store().exists(sha256(data))
        assert LfsReference.objects.filter(module=dataset, lfs_object__oid=sha256(data)).exists()
    # git itself holds only the pointer
    pointer = dataset.repository.read_file("master", "big.bin")
    assert pointer.startswith(b"version https://git-lfs") and sha256(big).encode() in pointer

    clone = tmp_path / "clone"
    lfs_client.run("clone", remote(hub, dataset, people.reader, PASSWORD), str(clone))
    assert (clone / "big.bin").read_bytes() == big
    assert (clone / "data" / "t.csv").read_bytes() == table


def test_push_by_token_and_lfs_pull_after_a_clone_without_smudge(
    hub, lfs_client, dataset, people, tmp_path
):
    _, token = PersonalAccessToken.issue(people.owner, "laptop", scopes=["read", "write"])
    data = os.urandom(200_000)
    work = lfs_work_tree(lfs_client, tmp_path / "w", {"d.bin": data})
    lfs_client.run("push", remote(hub, dataset, people.owner, token), "master", cwd=work)

    clone = tmp_path / "clone"
    url = remote(hub, dataset, people.owner, token)
    lfs_client.run("clone", url, str(clone), extra_env={"GIT_LFS_SKIP_SMUDGE": "1"})
    assert (clone / "d.bin").read_bytes().startswith(b"version https://git-lfs")
    lfs_client.run("lfs", "pull", cwd=clone)
    assert (clone / "d.bin").read_bytes() == data

    # the locks API: lock, list, refuse someone else's unlock, unlock
    lfs_client.run("lfs", "lock", "d.bin", cwd=clone)
    assert "d.bin" in lfs_client.run("lfs", "locks", cwd=clone).stdout
    other = tmp_path / "other"
    lfs_client.run(
        "clone",
        remote(hub, dataset, people.writer, PASSWORD),
        str(other),
        extra_env={"GIT_LFS_SKIP_SMUDGE": "1"},
    )
    refused = lfs_client.run("lfs", "unlock", "d.bin", cwd=other, check=False)
    assert refused.returncode != 0 and "locked by olivia" in refused.stderr
    lfs_client.run("lfs", "unlock", "d.bin", cwd=clone)
    assert lfs_client.run("lfs", "locks", cwd=clone).stdout.strip() == ""


def test_private_lfs_is_refused_to_anonymous_and_hidden_from_outsiders(
    hub, lfs_client, dataset, people, tmp_path
):
    data = os.urandom(10_000)
    work = lfs_work_tree(lfs_client, tmp_path / "w", {"d.bin": data})
    lfs_client.run("push", remote(hub, dataset, people.owner, PASSWORD), "master", cwd=work)
    batch = f"{hub.url}{dataset.clone_path()}/info/lfs/objects/batch"
    body = {"operation": "download", "objects": [{"oid": sha256(data), "size": len(data)}]}
    assert lfs_post(batch, body)[0] == 401
    assert lfs_post(batch, body, people.outsider.username, PASSWORD)[0] == 404
    status, answer = lfs_post(batch, body, people.reader.username, PASSWORD)
    assert status == 200 and "download" in answer["objects"][0]["actions"]
    upload = {"operation": "upload", "objects": [{"oid": sha256(data), "size": len(data)}]}
    status, answer = lfs_post(batch, upload, people.reader.username, PASSWORD)
    assert status == 403 and "read access only" in answer["message"]

    # and with the real client: git lfs pull as anonymous, as an outsider, as the reader
    clone = tmp_path / "clone"
    lfs_client.run(
        "clone",
        remote(hub, dataset, people.reader, PASSWORD),
        str(clone),
        extra_env={"GIT_LFS_SKIP_SMUDGE": "1"},
    )
    for user, secret, answer in (
        (None, None, "credentials for"),  # a 401: git-lfs asks for credentials
        (people.outsider, PASSWORD, "Repository not found."),  # a 404
    ):
        lfs_client.run("remote", "set-url", "origin", remote(hub, dataset, user, secret), cwd=clone)
        refused = lfs_client.run("lfs", "pull", cwd=clone, check=False)
        assert refused.returncode != 0 and answer in refused.stderr, refused.stderr
        assert (clone / "d.bin").read_bytes() != data
    lfs_client.run(
        "remote", "set-url", "origin", remote(hub, dataset, people.reader, PASSWORD), cwd=clone
    )
    lfs_client.run("lfs", "pull", cwd=clone)
    assert (clone / "d.bin").read_bytes() == data


def test_a_read_token_cannot_upload_and_an_internal_write_credential_can(
    hub, lfs_client, dataset, people, tmp_path
):
    _, read_token = PersonalAccessToken.issue(people.owner, "ci", scopes=["read"])
    work = lfs_work_tree(lfs_client, tmp_path / "w", {"d.bin": os.urandom(50_000)})
    refused = lfs_client.run(
        "push", remote(hub, dataset, people.owner, read_token), "master", cwd=work, check=False
    )
    assert refused.returncode != 0
    assert "scope" in refused.stderr, refused.stderr
    assert not LfsObject.objects.exists()

    # A run worker's credential for this repository only, as issued by the platform.
    worker = issue_internal_token(people.writer, [dataset.credential_resource], scopes=["write"])
    lfs_client.run("push", remote(hub, dataset, people.writer, worker), "master", cwd=work)
    reader = issue_internal_token(people.reader, [dataset.credential_resource])
    clone = tmp_path / "clone"
    lfs_client.run("clone", remote(hub, dataset, people.reader, reader), str(clone))
    assert (clone / "d.bin").read_bytes() == (work / "d.bin").read_bytes()
    other = issue_internal_token(people.owner, ["repo:999999"], scopes=["write"])
    batch = f"{hub.url}{dataset.clone_path()}/info/lfs/objects/batch"
    oid = sha256((work / "d.bin").read_bytes())
    body = {"operation": "download", "objects": [{"oid": oid, "size": 50_000}]}
    assert lfs_post(batch, body, "worker", other)[0] == 404


def test_a_corrupted_upload_is_refused_and_leaves_nothing(
    hub, lfs_client, dataset, people, tmp_path
):
    data = os.urandom(100_000)
    work = lfs_work_tree(lfs_client, tmp_path / "w", {"d.bin": data})
    # Damage the client's copy of the object: the bytes no longer match the pointer's oid.
    oid = sha256(data)
    local = work / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
    local.write_bytes(b"X" + data[1:])
    lfs_client.run("config", "lfs.transfer.maxretries", "1", cwd=work)  # git-lfs backs off
    refused = lfs_client.run(
        "push", remote(hub, dataset, people.owner, PASSWORD), "master", cwd=work, check=False
    )
    assert refused.returncode != 0
    assert "Upload refused" in refused.stderr, refused.stderr
    assert not lfs_store().exists(oid) and not LfsObject.objects.exists()
    assert list((lfs_store().incoming).glob("*")) == []

    # The same over plain HTTP, with the link the batch API hands out.
    batch = f"{hub.url}{dataset.clone_path()}/info/lfs/objects/batch"
    body = {"operation": "upload", "objects": [{"oid": oid, "size": len(data)}]}
    status, answer = lfs_post(batch, body, people.owner.username, PASSWORD)
    upload = answer["objects"][0]["actions"]["upload"]
    for damaged in (b"X" + data[1:], data[:-1]):
        request = urllib.request.Request(
            upload["href"], data=damaged, headers=upload["header"], method="PUT"
        )
        with pytest.raises(urllib.error.HTTPError) as refusal:
            urllib.request.urlopen(request, timeout=30)
        assert refusal.value.code == 400
        assert "Upload refused" in json.loads(refusal.value.read())["message"]
    assert not lfs_store().exists(oid) and not LfsObject.objects.exists()


def test_a_browser_upload_above_the_threshold_is_cloned_back_identically(
    hub, lfs_client, dataset, people, tmp_path, client, settings
):
    settings.LFS_UPLOAD_THRESHOLD = 100_000
    big, small = os.urandom(300_000), b"id,label\n1,cat\n"
    client.force_login(people.writer)
    response = client.post(
        f"/{dataset.full_name}/upload/",
        {
            "files": [SimpleUploadedFile("big file.bin", big), SimpleUploadedFile("l.csv", small)],
            "directory": "raw",
            "branch": "master",
            "message": "Upload",
        },
    )
    assert response.status_code == 302
    pointer = dataset.repository.read_file("master", "raw/big file.bin")
    assert pointer.startswith(b"version https://git-lfs") and sha256(big).encode() in pointer
    assert dataset.repository.read_file("master", "raw/l.csv") == small

    clone = tmp_path / "clone"
    lfs_client.run("clone", remote(hub, dataset, people.reader, PASSWORD), str(clone))
    assert (clone / "raw" / "big file.bin").read_bytes() == big
    assert (clone / "raw" / "l.csv").read_bytes() == small
    status = lfs_client.run("status", "--porcelain", cwd=clone).stdout
    assert status == ""  # .gitattributes names the file, so git sees no change after smudge


@pytest.fixture
def quota_hub(django_db_blocker, tmp_path):
    """A second server whose namespaces may store 600 kB each."""
    with django_db_blocker.unblock():
        db = dict(connections["default"].settings_dict)
    server = start_gunicorn(db, tmp_path / "quota.log", {"STORAGE_QUOTA": "600000"})
    yield server
    server.stop()  # gunicorn and the stream server beside it


def test_pushes_past_the_storage_quota_are_refused_with_the_reason(
    quota_hub, lfs_client, dataset, people, tmp_path, client, settings
):
    url = remote(quota_hub, dataset, people.owner, PASSWORD)
    work = lfs_work_tree(lfs_client, tmp_path / "w", {"a.bin": os.urandom(300_000)})
    lfs_client.run("push", url, "master", cwd=work)

    (work / "b.bin").write_bytes(os.urandom(400_000))
    lfs_client.run("add", "b.bin", cwd=work)
    lfs_client.run("commit", "-q", "-m", "More", cwd=work)
    refused = lfs_client.run("push", url, "master", cwd=work, check=False)
    assert refused.returncode != 0
    assert "Storage quota exceeded: namespace 'olivia'" in refused.stderr, refused.stderr
    assert LfsObject.objects.count() == 1

    # plain git objects count too: the pre-receive hook weighs them before any ref moves
    plain = lfs_client.new_work_tree(tmp_path / "plain", {"noise.dat": os.urandom(400_000)})
    refused = lfs_client.run("push", url, "master:other", "--force", cwd=plain, check=False)
    assert refused.returncode != 0
    assert "remote: error: Storage quota exceeded: namespace 'olivia'" in refused.stderr
    assert "other" not in dataset.repository.branch_names()

    settings.STORAGE_QUOTA = 600_000
    client.force_login(people.owner)
    page = client.get("/accounts/profile/").content.decode()
    usage = page[page.index('data-testid="repository-storage"') :]
    assert "Git LFS 293.0 KiB" in usage and "of 585.9 KiB" in usage
