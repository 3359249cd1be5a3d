"""Server-rendered pages: library, module page, file viewer, uploads, templates, settings."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from modules.models import Module

pytestmark = pytest.mark.django_db


def add(module, files: dict[str, bytes], branch: str = "master", message: str = "Add") -> str:
    return module.repository.commit_files(branch, files, message, "Olivia", "o@example.com")


def test_library_searches_filters_and_paginates(client, people):
    from modules import services

    for i in range(23):
        services.create_module(people.owner, name=f"Net {i}", kind="model", data_types=["image"])
    services.create_module(
        people.owner,
        name="Tabular cleaner",
        kind="data-operation",
        data_types=["tabular"],
        description="drops NaN rows",
    )
    first = client.get("/")
    assert first.context["page"].paginator.count == 24 and len(first.context["page"]) == 20
    assert b"Page 1 of 2" in first.content
    assert client.get("/?q=nan+rows").context["page"].paginator.count == 1
    assert client.get("/?kind=data-operation").context["page"].paginator.count == 1
    assert client.get("/?data_type=tabular").context["page"].paginator.count == 1
    assert client.get("/?data_type=audio").context["page"].paginator.count == 0


def test_it_creates_a_module_from_the_form(client, people):
    client.force_login(people.owner)
    response = client.post(
        "/new/",
        {
            "name": "My Net",
            "description": "d",
            "kind": "model",
            "data_types": ["image", "text"],
            "visibility": "private",
        },
    )
    module = Module.objects.get()
    assert response.status_code == 302 and response["Location"] == "/olivia/my-net/"
    assert module.data_types == ["image", "text"] and module.visibility == "private"
    page = client.get("/olivia/my-net/")
    assert b"git clone http://testserver/olivia/my-net.git" in page.content
    assert b"git push origin master" in page.content


def test_it_shows_form_errors_for_bad_modules(client, people, public_module):
    client.force_login(people.owner)
    bad_kind = client.post(
        "/new/", {"name": "X", "kind": "robot", "data_types": ["image"], "visibility": "public"}
    )
    assert bad_kind.status_code == 200 and b"robot is not one of" in bad_kind.content
    duplicate = client.post(
        "/new/",
        {
            "name": "x",
            "slug": "public-net",
            "kind": "model",
            "data_types": ["image"],
            "visibility": "public",
        },
    )
    assert b"already have a module named" in duplicate.content
    assert Module.objects.count() == 1


def test_module_page_renders_sanitised_readme_and_tree(client, public_module):
    add(
        public_module,
        {
            "README.md": b"# Cats\n\n<script>alert(1)</script>\n\n"
            b"**bold** [x](javascript:alert(2))",
            "src/model.py": b"def f():\n    return 1\n",
        },
    )
    page = client.get(public_module.get_absolute_url()).content.decode()
    assert "<h1>Cats</h1>" in page and "<strong>bold</strong>" in page
    assert "<script>alert(1)" not in page and "javascript:alert" not in page
    assert 'path=src">src/</a>' in page
    sub = client.get(public_module.get_absolute_url() + "?path=src").content.decode()
    assert "model.py" in sub


def test_file_viewer_highlights_at_any_branch_or_commit(client, public_module):
    first = add(public_module, {"train.py": b"import argparse\n"})
    add(public_module, {"train.py": b"import os\n"}, message="Change")
    add(public_module, {"train.py": b"import sys\n"}, branch="dev", message="On dev")
    url = public_module.get_absolute_url() + "blob/?path=train.py"
    assert b"argparse" in client.get(url + f"&ref={first}").content
    current = client.get(url).content.decode()
    assert 'class="source"' in current and '<span class="kn">import</span>' in current
    assert "sys" in client.get(url + "&ref=dev").content.decode()
    assert client.get(url + "&ref=missing").status_code == 404
    history = client.get(public_module.get_absolute_url() + "commits/").content.decode()
    assert "Change" in history and first[:10] in history
    branches = client.get(public_module.get_absolute_url()).context["branches"]
    assert branches == ["dev", "master"]


def test_binary_files_are_offered_raw(client, public_module):
    add(public_module, {"weights.bin": b"\x00\x01\x02"})
    page = client.get(public_module.get_absolute_url() + "blob/?path=weights.bin")
    assert b"binary file" in page.content
    raw = client.get(public_module.get_absolute_url() + "raw/?path=weights.bin")
    assert raw.getvalue() == b"\x00\x01\x02" and raw["Content-Type"] == "application/octet-stream"


def test_upload_commits_several_files_authored_by_the_user(client, people, public_module):
    client.force_login(people.writer)
    response = client.post(
        public_module.get_absolute_url() + "upload/",
        {
            "files": [SimpleUploadedFile("a.py", b"a = 1\n"), SimpleUploadedFile("b.txt", b"b")],
            "directory": "pkg",
            "branch": "master",
            "message": "Upload two",
        },
    )
    assert response.status_code == 302
    assert public_module.repository.list_files("master") == ["pkg/a.py", "pkg/b.txt"]
    commit = public_module.repository.commit_info("master")
    assert (commit.author_name, commit.author_email) == ("walter", "walter@example.com")


@pytest.mark.parametrize("directory", ["../up", ".git", "/abs"])
def test_upload_refuses_escaping_directories(client, people, public_module, directory):
    client.force_login(people.owner)
    response = client.post(
        public_module.get_absolute_url() + "upload/",
        {
            "files": [SimpleUploadedFile("a.py", b"a")],
            "directory": directory,
            "branch": "master",
            "message": "m",
        },
    )
    assert response.status_code == 400 and public_module.repository.is_empty()


@override_settings(MAX_UPLOAD_SIZE=10)
def test_upload_refuses_files_over_the_limit(client, people, public_module):
    client.force_login(people.owner)
    response = client.post(
        public_module.get_absolute_url() + "upload/",
        {
            "files": [SimpleUploadedFile("a.bin", b"x" * 11)],
            "branch": "master",
            "message": "m",
        },
    )
    assert response.status_code == 400 and b"the limit is 10 bytes" in response.content


@pytest.mark.parametrize("template", ["model", "data-operation", "data-visualization"])
def test_new_file_templates_are_argparse_entry_points(client, people, public_module, template):
    client.force_login(people.owner)
    form = client.get(public_module.get_absolute_url() + f"new-file/?template={template}")
    content = form.context["form"].initial["content"]
    compile(content, "entry.py", "exec")
    assert '"--input-path"' in content and '"--output-path"' in content
    assert ("experiment.json" in content) == (template == "model")
    response = client.post(
        public_module.get_absolute_url() + "new-file/",
        {
            "path": "train.py",
            "content": content,
            "branch": "master",
            "message": "Add entry",
        },
    )
    assert response.status_code == 302
    assert public_module.repository.read_file("master", "train.py") == content.encode()


def test_requirements_template(client, people, public_module):
    client.force_login(people.owner)
    form = client.get(public_module.get_absolute_url() + "new-file/?template=requirements")
    assert form.context["form"].initial["path"] == "requirements.txt"


def test_settings_rename_keeps_old_urls_and_delete_removes_repo(
    client, people, public_module, django_capture_on_commit_callbacks
):
    client.force_login(people.owner)
    url = public_module.get_absolute_url() + "settings/"
    response = client.post(
        url,
        {
            "action": "update",
            "name": "Renamed",
            "slug": "renamed",
            "description": "",
            "kind": "model",
            "data_types": ["image"],
            "visibility": "public",
            "default_branch": "master",
        },
    )
    assert response.status_code == 302
    assert (
        client.get("/olivia/public-net/commits/?ref=master")["Location"]
        == "/olivia/renamed/commits/?ref=master"
    )
    path = public_module.repository_path
    wrong = client.post("/olivia/renamed/settings/", {"action": "delete", "confirm": "nope"})
    assert wrong.status_code == 400 and Module.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/olivia/renamed/settings/", {"action": "delete", "confirm": "renamed"})
    assert not Module.objects.exists() and not path.exists()
    assert client.get("/olivia/public-net/").status_code == 404


def test_settings_manage_collaborators(client, people, public_module):
    client.force_login(people.owner)
    url = public_module.get_absolute_url() + "settings/"
    client.post(url, {"action": "add-collaborator", "username": "oscar", "role": "write"})
    assert public_module.can_write(people.outsider)
    unknown = client.post(url, {"action": "add-collaborator", "username": "nobody", "role": "read"})
    assert unknown.status_code == 400 and b"No user named" in unknown.content
    client.post(url, {"action": "remove-collaborator", "username": "oscar"})
    assert not public_module.can_write(people.outsider)
