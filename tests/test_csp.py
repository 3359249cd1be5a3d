"""Content-Security-Policy: every page carries the header and its HTML holds no inline script,
so the strict policy (scripts only from the hub's own files) never breaks a page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from publishing.models import BaseEnvironment, LogLine, Publication

pytestmark = pytest.mark.django_db


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP would block: script elements without src, on* handler
    attributes, javascript: URLs, <style> elements and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in names
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name == "style":
                self.problems.append(f"<{tag} style=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


def test_the_finder_catches_what_the_policy_would_block():
    assert inline_code('<script src="/static/a.js"></script><p class="x">ok</p>') == []
    assert len(inline_code("<script>alert(1)</script>")) == 1
    assert len(inline_code('<button onclick="go()">x</button>')) == 1
    assert len(inline_code('<a href="javascript:go()">x</a>')) == 1
    assert len(inline_code("<style>p{}</style>")) == 1


def test_no_template_holds_inline_script_or_handlers():
    templates = Path(settings.BASE_DIR, "templates")
    offenders = []
    for path in templates.rglob("*.html"):
        text = path.read_text()
        # Django tags inside attributes are not HTML; blank them before parsing.
        problems = inline_code(re.sub(r"{%.*?%}|{{.*?}}", "", text, flags=re.S))
        offenders += [f"{path.relative_to(templates)}: {problem}" for problem in problems]
    assert offenders == []


def add_code_and_a_failed_version(module):
    """README, a script and a failed version 1: enough to reach every kind of module page."""
    module.repository.commit_files(
        "master",
        {
            "train.py": b"import argparse\np = argparse.ArgumentParser()\n",
            "README.md": b"# Net\n\n```\ncode\n```\n",
        },
        "Add",
        "Olivia",
        "o@example.com",
    )
    environment = BaseEnvironment.objects.create(
        name="python-3-11", image="mlreef/python:3.11", python_version="3.11"
    )
    publication = Publication.objects.create(
        module=module,
        version=1,
        branch="master",
        commit_sha="a" * 40,
        entrypoint="train.py",
        base_environment=environment,
        builder="docker",
        status="failed",
        failure_reason="Installing the requirements failed.",
    )
    LogLine.objects.create(publication=publication, number=1, step="building", text="ERROR x")
    return module


@pytest.fixture
def published(public_module):
    return add_code_and_a_failed_version(public_module)


def page_urls(module) -> list[str]:
    base = f"/{module.namespace}/{module.slug}/"
    return [
        "/",
        "/new/",
        f"/{module.namespace}/",
        "/accounts/profile/",
        base,
        base + "?path=README.md",
        base + "blob/?path=train.py",
        base + "blob/?path=README.md",
        base + "commits/",
        base + "upload/",
        base + "new-file/",
        base + "settings/",
        base + "publish/",
        base + "publish/?step=parameters",
        base + "publications/",
        base + "publications/1/",
        "/api/v1/docs/",
        "/admin/",
        "/does/not/exist/",
    ]


def test_every_page_has_the_header_and_no_inline_code(client, people, published):
    people.owner.is_staff = people.owner.is_superuser = True
    people.owner.save()
    client.force_login(people.owner)
    admin_pages = ["/admin/modules/module/", f"/admin/modules/module/{published.pk}/change/"]
    for url in page_urls(published) + admin_pages + ["/accounts/login/", "/accounts/signup/"]:
        response = client.get(url, follow=True)
        assert response.status_code in (200, 404), url
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert inline_code(response.content.decode()) == [], url


def test_pages_may_connect_to_the_live_stream_server(client, settings):
    settings.STREAM_BIND = "127.0.0.1:8123"
    settings.STREAM_PUBLIC_URL = ""
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "connect-src 'self' http://testserver:8123" in policy
    settings.STREAM_PUBLIC_URL = "https://streams.example.com"
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "connect-src 'self' https://streams.example.com" in policy


def test_the_api_docs_start_up_script_is_its_own_request(client):
    page = client.get("/api/v1/docs/").content.decode()
    script_src = re.findall(r'<script src="([^"]*\?[^"]*script[^"]*)"', page)
    assert script_src, page
    script = client.get(script_src[0].replace("&amp;", "&"))
    assert script.status_code == 200 and "SwaggerUIBundle(" in script.content.decode()


def test_the_highlighting_styles_file_matches_pygments():
    from modules.rendering import pygments_css

    served = Path(settings.BASE_DIR, "static", "css", "pygments.css").read_text()
    assert served.strip() == pygments_css().strip()
