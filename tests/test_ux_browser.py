"""Issue 10's acceptance in headless Chromium: the module page after publishing, the overwrite
confirmation, the blocked wizard, the build log of a failed version, the commit page, and
no sideways scrolling at phone width (390 px)."""

from __future__ import annotations

import pytest
from django.db import connections

from publishing import services
from publishing.models import BaseEnvironment, LogLine, Publication
from publishing.usage import usage_for
from tests.conftest import PASSWORD, make_module
from tests.test_browser import page  # noqa: F401  (the Playwright page fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
SCRIPT = b"""import argparse
parser = argparse.ArgumentParser(description="Train a cat detector")
parser.add_argument("--input-path", required=True, help="Folder with images")
parser.add_argument("--output-path", required=True, help="Folder for the model")
parser.add_argument("--epochs", type=int, default=5, help="Passes over the data")
parser.add_argument("--learning-rate", type=float, default=0.001, help="Step size")
parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
parser.add_argument("--debug-port", type=int, default=5678, help="Internal knob")
args = parser.parse_args()
"""
NO_FLAGS = b"import argparse\np = argparse.ArgumentParser()\np.add_argument('--epochs')\n"


@pytest.fixture
def people_db(people):
    yield people
    # Playwright runs the test in a greenlet, which Django gives a connection of its own.
    connections.close_all()


def log_in(page, hub, user) -> None:  # noqa: F811
    page.goto(hub.url + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("[data-testid=profile-link]")


def scroll_width(page) -> int:  # noqa: F811
    return page.evaluate("() => document.documentElement.scrollWidth")


def published_module(people, hidden=("debug_port",)):
    module = make_module(people, "cat-net", "private")
    sha = module.repository.commit_files(
        "master",
        {"train.py": SCRIPT, "requirements.txt": b"", "README.md": b"# Cat net\n\n`code`\n"},
        "Add code",
        "Olivia",
        "o@example.com",
    )
    environment = BaseEnvironment.objects.create(
        name="python-3.11", image="mlreef/python:3.11", python_version="3.11"
    )
    parameters = services.read_parameters(module, sha, "train.py")["parameters"]
    publication = Publication.objects.create(
        module=module,
        version=1,
        branch="master",
        commit_sha=sha,
        entrypoint="train.py",
        base_environment=environment,
        builder="DockerBuilder",
        status="published",
        parameters=[{**p, "visible": p["name"] not in hidden} for p in parameters],
        parameter_visibility={name: False for name in hidden},
        image_reference=f"127.0.0.1:5000/{module.full_name}:1",
        image_digest="sha256:" + "ab" * 32,
    )
    return module, publication


def test_the_module_page_shows_how_to_run_what_was_published(hub, page, people_db):  # noqa: F811
    module, publication = published_module(people_db)
    log_in(page, hub, people_db.reader)
    page.goto(f"{hub.url}/{module.full_name}/")
    usage = page.inner_text("[data-testid=usage-commands]")
    assert usage.strip() == usage_for(publication).text
    assert usage.startswith("docker login 127.0.0.1:5000\n")
    assert '-v "$PWD/input:/data/input:ro"' in usage and "--epochs 5" in usage
    rows = page.locator("[data-testid=parameter-table] tr").all_inner_texts()[1:]
    names = [row.split("\t")[0] for row in rows]
    assert names == ["input_path", "output_path", "epochs", "learning_rate", "optimizer"]
    assert "adam, sgd" in rows[4] and "Step size" in rows[3]
    text = page.inner_text("main")
    assert "debug" not in text.lower() and "5678" not in text
    assert page.inner_text("[data-testid=header-badge]") == "v1 published"
    page.click("[data-testid=usage] button.copy")
    page.wait_for_selector("[data-testid=usage] button.copy:has-text('Copied')")
    page.set_viewport_size(PHONE)
    for url in (f"/{module.full_name}/", f"/{module.full_name}/publications/1/"):
        page.goto(hub.url + url)
        assert scroll_width(page) <= 390, url
        box = page.locator("header.topbar").bounding_box()
        assert box["height"] < 60  # one line


def test_new_file_asks_before_overwriting(hub, page, people_db):  # noqa: F811
    module = make_module(people_db, "own-script", "public")
    module.repository.commit_files("master", {"train.py": b"mine\n"}, "Add", "O", "o@x.org")
    log_in(page, hub, people_db.owner)
    page.goto(f"{hub.url}/{module.full_name}/new-file/?template=model")
    assert page.input_value("#id_path") == "train.py"
    page.click("button:has-text('Commit file')")
    assert "already exists on master" in page.inner_text("main form.card")
    assert module.repository.read_file("master", "train.py") == b"mine\n"
    page.check("#id_overwrite")
    page.click("button:has-text('Commit file')")
    page.wait_for_selector(".code-view")
    assert b"argparse" in module.repository.read_file("master", "train.py")


def test_the_wizard_does_not_start_with_a_blocking_problem(hub, page, people_db):  # noqa: F811
    module = make_module(people_db, "no-flags", "public")
    head = module.repository.commit_files(
        "master", {"train.py": NO_FLAGS, "requirements.txt": b""}, "Add", "O", "o@x.org"
    )
    BaseEnvironment.objects.create(
        name="python-3.11", image="mlreef/python:3.11", python_version="3.11"
    )
    log_in(page, hub, people_db.owner)
    page.goto(f"{hub.url}/{module.full_name}/publish/")
    page.select_option("#entrypoint", "train.py")
    assert page.input_value("#requirements_path") == "requirements.txt"
    page.click("button:has-text('Next: parameters')")
    page.wait_for_url("**step=parameters")
    alert = page.inner_text("[role=alert]")
    assert 'parser.add_argument("--output-path", required=True' in alert
    assert page.is_disabled("button:has-text('Next: base environment')")
    page.set_viewport_size(PHONE)
    assert scroll_width(page) <= 390
    # Going straight to the review and pressing Start spends nothing either.
    page.goto(f"{hub.url}/{module.full_name}/publish/?step=review")
    page.click("button:has-text('Start publishing')")
    page.wait_for_url("**step=parameters")
    assert Publication.objects.count() == 0
    assert module.repository.resolve("master") == head


def test_the_wizard_parameter_step_fits_a_phone(hub, page, people_db):  # noqa: F811
    module, _ = published_module(people_db)
    log_in(page, hub, people_db.owner)
    page.set_viewport_size(PHONE)
    page.goto(f"{hub.url}/{module.full_name}/publish/")
    page.select_option("#entrypoint", "train.py")
    page.click("button:has-text('Next: parameters')")
    page.wait_for_selector("[data-testid=parameters]")
    assert "Shown" in page.inner_text("[data-testid=shown-help]")
    assert page.is_disabled("input[aria-label='input_path is always shown']")
    assert scroll_width(page) <= 390


def test_a_failed_build_log_is_readable(hub, page, people_db):  # noqa: F811
    module, publication = published_module(people_db)
    Publication.objects.filter(pk=publication.pk).update(
        status="failed",
        failure_reason="Installing the requirements failed; pip's error is in the log.",
    )
    lines = [("cloning", "Cloning")] + [("building", f"Collecting step {i}") for i in range(80)]
    lines += [
        ("building", "\x1b[91mERROR: No matching distribution found for nothing==9\x1b[0m"),
        ("building", "x" * 600),
        ("failed", "Publishing failed (fix the module): pip's error is in the log."),
        ("failed", "== failed =="),
    ]
    for number, (step, text) in enumerate(lines, start=1):
        LogLine.objects.create(publication=publication, number=number, step=step, text=text)
    log_in(page, hub, people_db.reader)
    page.goto(f"{hub.url}/{module.full_name}/publications/1/")
    log = page.inner_text("[data-testid=log]")
    assert "\x1b" not in log and "[91m" not in log and "ERROR: No matching" in log
    assert page.get_attribute("li[data-stage=building]", "class") == "failed"
    assert page.get_attribute("li[data-stage=cloning]", "class") == "done"
    assert "below" in page.inner_text("[data-testid=failure]")
    assert page.evaluate("() => document.getElementById('log').scrollTop") > 0
    failure_box = page.locator(".line.failure").first.bounding_box()
    log_box = page.locator("#log").bounding_box()
    assert log_box["y"] <= failure_box["y"] <= log_box["y"] + log_box["height"]
    wrapped = page.evaluate("() => document.getElementById('log').scrollWidth")
    assert wrapped <= page.evaluate("() => document.getElementById('log').clientWidth")
    with page.expect_download() as download:
        page.click("[data-testid=log-download]")
    assert "ERROR: No matching" in open(download.value.path()).read()
    page.set_viewport_size(PHONE)
    page.reload()
    assert scroll_width(page) <= 390


def test_the_commit_page_shows_the_diff(hub, page, people_db):  # noqa: F811
    module = make_module(people_db, "diffs", "public")
    module.repository.commit_files("master", {"a.py": b"one\ntwo\n"}, "First", "O", "o@x.org")
    sha = module.repository.commit_files("master", {"a.py": b"one\n2\n"}, "Second", "O", "o@x.org")
    page.goto(f"{hub.url}/{module.full_name}/commits/")
    page.click(f"a[title='{sha}']")
    page.wait_for_url(f"**/commit/{sha}/")
    assert "1 file changed, +1 −1" in page.inner_text("[data-testid=diff-summary]")
    assert page.inner_text(".diff-del").strip() == "-two"
    assert page.inner_text(".diff-add").strip() == "+2"
    page.goto(f"{hub.url}/{module.full_name}/?ref={sha}")
    assert page.inner_text("select[aria-label=Branch] option:checked") == f"commit {sha[:10]}"
