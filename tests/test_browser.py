"""The new-user flow in a real headless Chromium driven by Playwright."""

from __future__ import annotations

import pytest
from django.db import connections

from modules.models import Module

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def page(chromium_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def test_sign_up_create_module_upload_and_see_the_file(hub, page, tmp_path):
    page.goto(hub.url + "/")
    page.click("text=Sign up")
    page.fill("#id_username", "newbie")
    page.fill("#id_email", "newbie@example.com")
    page.fill("#id_password1", "a-long-Passw0rd-for-tests")
    page.fill("#id_password2", "a-long-Passw0rd-for-tests")
    page.click("button:has-text('Create account')")
    assert page.locator("[data-testid=profile-link]").inner_text() == "newbie"

    page.click("text=Create new AI module")
    page.fill("#id_name", "Cat Detector")
    page.fill("#id_description", "Finds cats")
    page.select_option("#id_kind", "model")
    page.check("input[name=data_types][value=image]")
    page.click("button:has-text('Create module')")
    page.wait_for_url("**/newbie/cat-detector/")
    assert "git clone " + hub.url + "/newbie/cat-detector.git" in page.inner_text("#git-commands")

    script = tmp_path / "train.py"
    script.write_text("import argparse\n")
    readme = tmp_path / "README.md"
    readme.write_text("# Cat detector\n")
    page.click("text=Upload files")
    page.set_input_files("#id_files", [str(script), str(readme)])
    page.fill("#id_message", "First upload")
    page.click("button:has-text('Commit files')")
    page.wait_for_selector("[data-testid=file-tree]")
    tree = page.inner_text("[data-testid=file-tree]")
    assert "train.py" in tree and "README.md" in tree
    assert page.locator("article.readme h1").inner_text() == "Cat detector"

    page.click("[data-testid=file-tree] >> text=train.py")
    assert "argparse" in page.inner_text(".code-view")
    module = Module.objects.get(slug="cat-detector")
    assert module.repository.commit_info("master").author_name == "newbie"
    # Playwright runs the test in a greenlet, which Django gives a connection of its own.
    connections.close_all()


def test_pages_run_under_the_content_security_policy(hub, page, people, tmp_path):
    """Nothing on the pages is refused by the CSP, and the scripts that must run still do."""
    from tests.conftest import PASSWORD, make_module
    from tests.test_csp import add_code_and_a_failed_version, page_urls

    module = add_code_and_a_failed_version(make_module(people, "csp-net", "public"))
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: refused.append(str(error)))
    page.goto(hub.url + "/accounts/login/")
    page.fill("#id_username", people.owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("[data-testid=profile-link]")
    for url in page_urls(module):
        page.goto(hub.url + url)
    page.goto(hub.url + "/api/v1/docs/")
    page.wait_for_selector("#swagger-ui .info")
    page.goto(hub.url + f"/{module.namespace}/{module.slug}/")
    page.click("[data-copy='#clone-url']")
    page.wait_for_selector("[data-copy='#clone-url']:has-text('Copied')")
    assert refused == []
    connections.close_all()
