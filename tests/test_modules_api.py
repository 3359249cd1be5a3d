"""The modules REST API: CRUD, repository content, commits, and bad input."""

from __future__ import annotations

import base64

import pytest
from django.test import override_settings

from modules.models import Module

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Image Classifier",
    "description": "ResNet on cats",
    "kind": "model",
    "data_types": ["image"],
    "visibility": "public",
}


@pytest.fixture
def owner_client(client, people):
    client.force_login(people.owner)
    return client


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_it_creates_a_module_with_a_bare_repository(owner_client):
    response = post(owner_client, "/api/v1/modules/", NEW)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "image-classifier" and body["namespace"] == "olivia"
    assert body["clone_url"].endswith("/olivia/image-classifier.git")
    module = Module.objects.get()
    assert (module.repository_path / "HEAD").read_text().strip() == "ref: refs/heads/master"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "new"}, "slug"),
        ({"slug": "x" * 65}, "slug"),
        ({"kind": "robot"}, "kind"),
        ({"data_types": ["smell"]}, "data_types"),
        ({"data_types": []}, "data_types"),
        ({"visibility": "secret"}, "visibility"),
        ({"name": ""}, "name"),
    ],
)
def test_it_refuses_invalid_modules_with_the_reason(owner_client, change, field):
    response = post(owner_client, "/api/v1/modules/", {**NEW, **change})
    assert response.status_code == 400
    assert field in response.json()
    assert not Module.objects.exists()


def test_it_refuses_a_duplicate_slug_in_the_same_namespace(owner_client, client, people):
    assert post(owner_client, "/api/v1/modules/", NEW).status_code == 201
    duplicate = post(owner_client, "/api/v1/modules/", NEW)
    assert duplicate.status_code == 400 and "already" in str(duplicate.json()["slug"])
    client.force_login(people.writer)
    assert post(client, "/api/v1/modules/", NEW).status_code == 201  # other namespace: fine


def test_it_lists_with_filters_search_and_pagination(owner_client, people):
    for i in range(25):
        post(owner_client, "/api/v1/modules/", {**NEW, "name": f"Model {i}", "kind": "model"})
    post(
        owner_client,
        "/api/v1/modules/",
        {
            **NEW,
            "name": "Cleaner",
            "kind": "data-operation",
            "data_types": ["tabular", "text"],
            "description": "removes outliers",
        },
    )
    page = owner_client.get("/api/v1/modules/").json()
    assert page["count"] == 26 and len(page["results"]) == 20 and page["next"]
    ops = owner_client.get("/api/v1/modules/?kind=data-operation").json()
    assert [m["slug"] for m in ops["results"]] == ["cleaner"]
    assert owner_client.get("/api/v1/modules/?data_type=text").json()["count"] == 1
    assert owner_client.get("/api/v1/modules/?q=outliers").json()["count"] == 1
    assert owner_client.get("/api/v1/modules/?kind=robot").status_code == 400
    assert owner_client.get("/api/v1/modules/?data_type=smell").status_code == 400


def test_it_updates_renames_with_a_redirect_and_deletes(
    owner_client, django_capture_on_commit_callbacks
):
    post(owner_client, "/api/v1/modules/", NEW)
    module = Module.objects.get()
    response = owner_client.patch(
        "/api/v1/modules/olivia/image-classifier/",
        {"slug": "cat-classifier", "visibility": "private"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["slug"] == "cat-classifier"
    old_page = owner_client.get("/olivia/image-classifier/")
    assert old_page.status_code == 301 and old_page["Location"] == "/olivia/cat-classifier/"
    path = module.repository_path
    with django_capture_on_commit_callbacks(execute=True):
        deleted = owner_client.delete("/api/v1/modules/olivia/cat-classifier/")
    assert deleted.status_code == 204
    assert not Module.objects.exists() and not path.exists()


def commit(client, files, branch="master", message="Add files"):
    return post(
        client,
        "/api/v1/modules/olivia/image-classifier/commits/",
        {"branch": branch, "message": message, "files": files},
    )


def test_it_commits_files_and_serves_tree_raw_branches_and_history(owner_client, people):
    post(owner_client, "/api/v1/modules/", NEW)
    created = commit(
        owner_client,
        [
            {"path": "train.py", "content": "print('hi')\n"},
            {
                "path": "data/labels.bin",
                "content": base64.b64encode(b"\x00\x01").decode(),
                "encoding": "base64",
            },
        ],
    )
    assert created.status_code == 201, created.json()
    assert created.json()["author_email"] == "olivia@example.com"
    commit(owner_client, [{"path": "train.py", "content": "print('v2')\n"}], message="Update")
    base = "/api/v1/modules/olivia/image-classifier"
    tree = owner_client.get(f"{base}/tree/").json()
    assert [(e["name"], e["type"]) for e in tree] == [("data", "tree"), ("train.py", "blob")]
    assert owner_client.get(f"{base}/tree/?path=data").json()[0]["size"] == 2
    assert owner_client.get(f"{base}/raw/?path=train.py").getvalue() == b"print('v2')\n"
    first_sha = created.json()["sha"]
    old = owner_client.get(f"{base}/raw/?path=train.py&ref={first_sha}")
    assert old.getvalue() == b"print('hi')\n"
    history = owner_client.get(f"{base}/commits/").json()
    assert [c["message"].strip() for c in history] == ["Update", "Add files"]
    branches = owner_client.get(f"{base}/branches/").json()
    assert branches == [{"name": "master", "commit": history[0]["sha"], "is_default": True}]
    assert owner_client.get(f"{base}/raw/?path=missing.py").status_code == 404
    assert owner_client.get(f"{base}/tree/?ref=nope").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "../evil.py",
        "/etc/passwd",
        ".git/config",
        "src/.git/hooks/pre-commit",
        "a/../../b",
        "",
        "bad\x00name",
    ],
)
def test_it_refuses_paths_that_escape_or_touch_git(owner_client, path):
    post(owner_client, "/api/v1/modules/", NEW)
    response = commit(owner_client, [{"path": path, "content": "x"}])
    assert response.status_code == 400
    assert Module.objects.get().repository.is_empty()


@override_settings(MAX_UPLOAD_SIZE=1000)
def test_it_refuses_oversized_commits(owner_client):
    post(owner_client, "/api/v1/modules/", NEW)
    response = commit(owner_client, [{"path": "big.bin", "content": "x" * 1001}])
    assert response.status_code == 400 and "limit" in response.json()["detail"]


def test_it_refuses_bad_base64_and_bad_branch_names(owner_client):
    post(owner_client, "/api/v1/modules/", NEW)
    bad64 = commit(owner_client, [{"path": "a", "content": "!!", "encoding": "base64"}])
    assert bad64.status_code == 400
    bad_branch = commit(owner_client, [{"path": "a", "content": "x"}], branch="no..dots")
    assert bad_branch.status_code == 400 and "branch" in bad_branch.json()["detail"]


def test_it_serves_the_openapi_schema_and_docs(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/modules/{namespace}/{slug}/commits/" in schema["paths"]
    assert client.get("/api/v1/docs/").status_code == 200


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=500)
def test_it_refuses_oversized_request_bodies_before_reading_them(owner_client):
    post(owner_client, "/api/v1/modules/", NEW)
    response = commit(owner_client, [{"path": "big.bin", "content": "x" * 600}])
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_it_refuses_an_invalid_default_branch(owner_client):
    post(owner_client, "/api/v1/modules/", NEW)
    response = owner_client.patch(
        "/api/v1/modules/olivia/image-classifier/",
        {"default_branch": "bad..name"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "default_branch" in response.json()
