"""Owner / write collaborator / read collaborator / outsider / anonymous on every access path.

Git over HTTP is covered with the real client in test_git_http.py; here are the web pages and
the API. Private modules are hidden (404) from those who may not read them.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

WHO = ["owner", "writer", "reader", "outsider", "anonymous"]

# who -> expected status, for (public, private) modules
READ = {
    "owner": (200, 200),
    "writer": (200, 200),
    "reader": (200, 200),
    "outsider": (200, 404),
    "anonymous": (200, 404),
}
WEB_WRITE = {
    "owner": (200, 200),
    "writer": (200, 200),
    "reader": (403, 403),
    "outsider": (403, 404),
    "anonymous": (302, 404),
}
WEB_ADMIN = {
    "owner": (200, 200),
    "writer": (403, 403),
    "reader": (403, 403),
    "outsider": (403, 404),
    "anonymous": (302, 404),
}
API_WRITE = {
    "owner": (201, 201),
    "writer": (201, 201),
    "reader": (403, 403),
    "outsider": (403, 404),
    "anonymous": (401, 404),
}
API_ADMIN = {
    "owner": (200, 200),
    "writer": (403, 403),
    "reader": (403, 403),
    "outsider": (403, 404),
    "anonymous": (401, 404),
}


@pytest.fixture(params=["public", "private"])
def case(request, people, public_module, private_module):
    module = public_module if request.param == "public" else private_module
    return module, 0 if request.param == "public" else 1


def as_user(client, people, who):
    if who != "anonymous":
        client.force_login(getattr(people, who))
    return client


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("page", ["", "commits/", "blob/?path=README.md"])
def test_reading_pages(client, people, case, who, page):
    module, column = case
    module.repository.commit_files("master", {"README.md": b"# Hi\n"}, "Add", "O", "o@x.io")
    response = as_user(client, people, who).get(f"{module.get_absolute_url()}{page}")
    assert response.status_code == READ[who][column]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("page", ["upload/", "new-file/"])
def test_writing_pages(client, people, case, who, page):
    module, column = case
    response = as_user(client, people, who).get(f"{module.get_absolute_url()}{page}")
    assert response.status_code == WEB_WRITE[who][column]


@pytest.mark.parametrize("who", WHO)
def test_settings_page(client, people, case, who):
    module, column = case
    response = as_user(client, people, who).get(f"{module.get_absolute_url()}settings/")
    assert response.status_code == WEB_ADMIN[who][column]


@pytest.mark.parametrize("who", WHO)
def test_library_lists_only_what_one_may_read(client, people, case, who):
    module, column = case
    response = as_user(client, people, who).get("/")
    listed = module.full_name.encode() in response.content
    assert listed == (READ[who][column] == 200)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", ["", "branches/", "commits/", "tree/", "collaborators/"])
def test_api_reads(client, people, case, who, endpoint):
    module, column = case
    response = as_user(client, people, who).get(f"/api/v1/modules/{module.full_name}/{endpoint}")
    assert response.status_code == READ[who][column]


@pytest.mark.parametrize("who", WHO)
def test_api_commit(client, people, case, who):
    module, column = case
    response = as_user(client, people, who).post(
        f"/api/v1/modules/{module.full_name}/commits/",
        {"message": "Add", "files": [{"path": "a.py", "content": "x = 1\n"}]},
        content_type="application/json",
    )
    assert response.status_code == API_WRITE[who][column]
    assert module.repository.is_empty() == (response.status_code != 201)


@pytest.mark.parametrize("who", WHO)
def test_api_settings(client, people, case, who):
    module, column = case
    response = as_user(client, people, who).patch(
        f"/api/v1/modules/{module.full_name}/",
        {"description": "changed"},
        content_type="application/json",
    )
    assert response.status_code == API_ADMIN[who][column]
    module.refresh_from_db()
    assert (module.description == "changed") == (response.status_code == 200)


@pytest.mark.parametrize("who", WHO)
def test_api_delete(client, people, case, who):
    module, column = case
    response = as_user(client, people, who).delete(f"/api/v1/modules/{module.full_name}/")
    expected = {200: 204}.get(API_ADMIN[who][column], API_ADMIN[who][column])
    assert response.status_code == expected
    assert module.__class__.objects.filter(pk=module.pk).exists() == (expected != 204)
