"""Malformed input anywhere in the API or the pages gets a 4xx, never a 500."""

from __future__ import annotations

import itertools

import pytest

from publishing.models import BaseEnvironment

pytestmark = pytest.mark.django_db

ODD_VALUES = [
    "",
    "..",
    "../../etc/passwd",
    "/etc/passwd",
    ".git/config",
    "a\x00b",
    "-x",
    "x" * 3000,
    "-1",
    "99999999999999999999",
    "ma ster",
    "%",
    "ünïcödé",
]


@pytest.fixture
def loaded(client, people, public_module):
    public_module.repository.commit_files(
        "master", {"train.py": b"import argparse\n"}, "Add", "O", "o@x.io"
    )
    BaseEnvironment.objects.create(name="py", image="x:1", python_version="3.11")
    client.force_login(people.owner)
    return client, public_module


def test_api_reads_with_odd_parameters(loaded):
    client, module = loaded
    schema = client.get("/api/v1/schema/?format=json").json()
    checked = 0
    for path, operations in schema["paths"].items():
        if "get" not in operations or "schema" in path or "docs" in path:
            continue
        url = (
            path.replace("{namespace}", module.namespace)
            .replace("{slug}", module.slug)
            .replace("{version}", "1")
            .replace("{token_id}", "1")
            .replace("{username}", "nobody")
        )
        names = [
            p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"
        ] or ["page"]
        for name, value in itertools.product(names, ODD_VALUES):
            response = client.get(url, {name: value})
            assert response.status_code < 500, (url, name, value, response.content[:300])
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("value", ODD_VALUES)
def test_pages_with_odd_parameters(loaded, value):
    client, module = loaded
    base = module.get_absolute_url()
    for page in ("", "blob/", "raw/", "commits/", "publish/", "publications/"):
        for name in ("ref", "path", "page", "step"):
            response = client.get(base + page, {name: value})
            assert response.status_code < 500, (page, name, value)


@pytest.mark.parametrize("value", ODD_VALUES)
def test_writes_with_odd_values(loaded, value):
    client, module = loaded
    api = f"/api/v1/modules/{module.full_name}"
    bodies = [
        (
            f"{api}/commits/",
            {"branch": value, "message": value, "files": [{"path": value, "content": value}]},
        ),
        (
            f"{api}/publications/",
            {
                "ref": value,
                "entrypoint": value,
                "base_environment": "py",
                "requirements_path": value,
            },
        ),
        (f"{api}/collaborators/", {"username": value, "role": value}),
        (
            "/api/v1/modules/",
            {"name": value, "slug": value, "kind": "model", "data_types": ["image"]},
        ),
        ("/api/v1/tokens/", {"name": value, "scopes": ["read"], "expires_at": value}),
    ]
    for url, body in bodies:
        method = client.put if url.endswith("collaborators/") else client.post
        response = method(url, body, content_type="application/json")
        assert response.status_code < 500, (url, value, response.content[:300])
    response = client.patch(
        f"{api}/", {"default_branch": value, "slug": value}, content_type="application/json"
    )
    assert response.status_code < 500
