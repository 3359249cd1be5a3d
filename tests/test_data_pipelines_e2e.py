"""Data pipelines and visualizations end to end with the real pieces: two Data Operations and a
Data Visualization published in the test, a dataset pushed with git-lfs, the run worker on the
`runs` queue (its own DATA_DIR), the Docker engine, the registry and headless Chromium.

One test walks the whole story (publishing is the slow part, done once): the pipeline built in
the browser (drag to reorder), run, its branch cloned with git; an unchanged re-run served from
the cache without a container; the saved YAML edited with git and read back by the editor; step
2's changed parameter re-running step 2 only; the refusals; a visualization whose PNG and HTML
are shown, the HTML's script unable to read the hub's cookies or call its API.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid

import pytest
import yaml
from django.db import connections

from accounts.models import PersonalAccessToken
from modules import services as module_services
from modules.lfs.objects import lfs_store
from modules.lfs.pointers import parse_pointer
from pipelines.models import PipelineRun, Run, Status
from publishing.models import Publication
from publishing.models import Status as PublicationStatus
from tests.conftest import PASSWORD
from tests.helpers import url_with_credentials
from tests.test_experiments_e2e import api, push, run_worker, stack  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

NORMALISE = '''"""Scale every number of a CSV by its column's maximum times --scale."""
import argparse
import csv
from pathlib import Path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-path", required=True)
    parser.add_argument("--output-path", required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="Largest value after scaling")
    args = parser.parse_args()
    source = Path(args.input_path)
    files = [source] if source.is_file() else sorted(source.rglob("*.csv"))
    rows = list(csv.reader(files[0].open()))
    header, body = rows[0], [[float(v) for v in row] for row in rows[1:]]
    tops = [max(abs(row[i]) for row in body) or 1 for i in range(len(header))]
    with (Path(args.output_path) / "normalised.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in body:
            writer.writerow([round(v / top * args.scale, 4) for v, top in zip(row, tops)])
    print("normalised", len(body), "rows", flush=True)


if __name__ == "__main__":
    main()
'''
SPLIT = '''"""Split the rows of a CSV into train.csv and test.csv."""
import argparse
import csv
from pathlib import Path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-path", required=True)
    parser.add_argument("--output-path", required=True)
    parser.add_argument("--ratio", type=float, default=0.5, help="Share of rows for training")
    parser.add_argument("--seed", type=int, default=0, help="Unused: rows keep their order")
    parser.add_argument("--fail-after-train", action="store_true", help="Crash half-way")
    args = parser.parse_args()
    source = Path(args.input_path)
    files = [source] if source.is_file() else sorted(source.rglob("*.csv"))
    rows = list(csv.reader(files[0].open()))
    cut = int(round((len(rows) - 1) * args.ratio))
    output = Path(args.output_path)
    for name, part in (("train.csv", rows[1:cut + 1]), ("test.csv", rows[cut + 1:])):
        with (output / name).open("w", newline="") as out:
            csv.writer(out).writerows([rows[0], *part])
        if args.fail_after_train:
            raise RuntimeError("disk full (on purpose)")
    print("train", cut, "test", len(rows) - 1 - cut, flush=True)


if __name__ == "__main__":
    main()
'''
VISUALIZE = '''"""A PNG of the row count and an HTML report whose script probes its sandbox."""
import argparse
import struct
import zlib
from pathlib import Path

PROBE = """<!doctype html><html><body><h1>Report</h1>
<p id="cookie">pending</p><p id="api">pending</p>
<script>
var c = document.getElementById("cookie"), a = document.getElementById("api");
try { c.textContent = "cookie-read:" + document.cookie; }
catch (e) { c.textContent = "cookie-blocked"; }
try {
  fetch("/api/v1/users/me/", {credentials: "include"})
    .then(function (r) { return r.text(); })
    .then(function (t) { a.textContent = "api-read:" + t; })
    .catch(function () { a.textContent = "api-blocked"; });
} catch (e) { a.textContent = "api-blocked"; }
</script></body></html>"""


def png(width, height, shade):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\\x00" + bytes([shade, 80, 160]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-path", required=True)
    parser.add_argument("--output-path", required=True)
    parser.add_argument("--width", type=int, default=40)
    args = parser.parse_args()
    source = Path(args.input_path)
    files = [source] if source.is_file() else sorted(source.rglob("*.csv"))
    rows = len(files[0].read_text().splitlines()) - 1
    output = Path(args.output_path)
    (output / "rows.png").write_bytes(png(args.width, 10 + rows, 200))
    (output / "report.html").write_text(PROBE)
    (output / "summary.txt").write_text(f"{rows} rows\\n")


if __name__ == "__main__":
    main()
'''
RUN_PAGE = re.compile(r"/pipelines/\d+/$")
DATA = "a,b\n1,10\n2,20\n3,30\n4,40\n"


def publish_all(hub, git_client, owner, token, tmp_path, scripts: dict) -> dict:
    """Create, push and publish each module at once; wait for all of them."""
    started = {}
    for slug, (kind, script) in scripts.items():
        module = module_services.create_module(
            owner, name=slug, slug=slug, kind=kind, data_types=["tabular"]
        )
        push(hub, git_client, module, owner, tmp_path, {"op.py": script, "requirements.txt": ""})
        status, body = api(
            hub, token, "POST", f"/api/v1/modules/{module.full_name}/publications/",
            {"entrypoint": "op.py", "base_environment": "python-3.11"},
        )  # fmt: skip
        assert status == 202, body
        started[slug] = body["id"]
    deadline = time.monotonic() + 900
    published = {}
    for slug, publication_id in started.items():
        while not (publication := Publication.objects.get(pk=publication_id)).is_final:
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert publication.status == PublicationStatus.PUBLISHED, "\n".join(
            publication.lines.values_list("text", flat=True)
        )
        published[slug] = publication
    return published


def wait_for_pipeline(pipeline_run_id: int, timeout: float = 300) -> PipelineRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pipeline_run = PipelineRun.objects.get(pk=pipeline_run_id)
        if pipeline_run.is_final:
            return pipeline_run
        time.sleep(0.3)
    raise AssertionError(f"pipeline run {pipeline_run_id} still {pipeline_run.status}")


def logs(pipeline_run: PipelineRun) -> str:
    return "\n".join(
        f"[{step.step}] " + "\n".join(step.lines.values_list("text", flat=True))
        for step in pipeline_run.steps.order_by("step")
    )


def run_containers(docker_engine, since: int, images: list[str]) -> list:
    """Containers created since then from these images (other tests may run in parallel)."""
    events = docker_engine.events(
        since=since, until=int(time.time()) + 1, decode=True,
        filters={"type": "container", "event": "create"},
    )  # fmt: skip
    return [
        e for e in events
        if any(image in e.get("Actor", {}).get("Attributes", {}).get("image", "")
               for image in images)
    ]  # fmt: skip


def test_data_pipelines_and_visualizations_end_to_end(
    stack,  # noqa: F811 - the fixture imported above
    git_client,
    people,
    tmp_path,
    docker_engine,
    chromium_path,
):
    from tests.test_browser import CHROMIUM_ARGS

    hub = stack
    if shutil.which("git-lfs") is None:
        pytest.skip("git-lfs is not installed (apt-get install git-lfs)")
    sync_api = pytest.importorskip("playwright.sync_api")
    owner = people.owner
    _, token = PersonalAccessToken.issue(owner, "ci", ["write"])
    tag = uuid.uuid4().hex[:6]
    normalise, split, charts = f"normalise-{tag}", f"split-{tag}", f"charts-{tag}"
    published = publish_all(
        hub, git_client, owner, token, tmp_path,
        {normalise: ("data-operation", NORMALISE), split: ("data-operation", SPLIT),
         charts: ("data-visualization", VISUALIZE)},
    )  # fmt: skip

    # A dataset pushed with git-lfs: data.csv is an LFS object.
    dataset = module_services.create_module(
        owner, name="Table", slug=f"table-{tag}", kind="dataset", data_types=["tabular"]
    )
    git_client.run("lfs", "install", "--skip-repo")
    work = tmp_path / "dataset"
    work.mkdir()
    git_client.run("init", "-q", "-b", "master", cwd=work)
    git_client.run("lfs", "track", "*.csv", cwd=work)
    (work / "data.csv").write_text(DATA)
    (work / "README.md").write_text("numbers\n")
    git_client.run("add", "-A", cwd=work)
    git_client.run("commit", "-q", "-m", "Data", cwd=work)
    remote = url_with_credentials(hub.url, dataset.clone_path(), owner.username, PASSWORD)
    git_client.run("push", "-q", remote, "master", cwd=work)
    assert dataset.repository.lfs_pointer("master", "data.csv") is not None

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.set_default_timeout(30_000)
        page.goto(hub.url + "/accounts/login/")
        page.fill("#id_username", owner.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")

        # -- 1. build the pipeline in the browser: split added first, then dragged below.
        page.goto(hub.url + f"/{dataset.full_name}/pipelines/")
        page.click("[data-testid=new-pipeline]")
        page.wait_for_selector("#pipeline-editor[data-ready=true]")
        page.fill("[data-testid=pipeline-name]", "prep")
        page.check("[data-testid='input-data.csv']")
        for slug in (split, normalise):
            page.fill("[data-testid=library-search]", slug)
            page.click(f"[data-testid='add-{owner.username}/{slug}']")
            page.wait_for_selector(f"li.pipeline-step[data-module='{owner.username}/{slug}']")
        steps = page.locator("li.pipeline-step")
        assert steps.nth(0).get_attribute("data-module").endswith(split)
        page.locator("[data-testid=save-run]").scroll_into_view_if_needed()
        source = page.locator(f"li[data-module$='{normalise}'] .drag-handle").bounding_box()
        target = page.locator(f"li[data-module$='{split}'] .drag-handle").bounding_box()
        page.mouse.move(source["x"] + 5, source["y"] + 5)
        page.mouse.down()
        page.wait_for_timeout(150)  # let the drag begin on a loaded machine
        page.mouse.move(target["x"] + 5, target["y"] + 2, steps=20)
        page.mouse.move(target["x"] + 5, target["y"] + 1, steps=5)
        page.wait_for_timeout(150)
        page.mouse.up()
        order = [steps.nth(i).get_attribute("data-module") for i in range(2)]
        assert order == [f"{owner.username}/{normalise}", f"{owner.username}/{split}"], order
        # A wrongly typed value is refused before anything is sent.
        page.fill(f"li[data-module$='{split}'] [data-testid=param-seed]", "1.5")
        page.click("[data-testid=save-run]")
        assert "whole number" in page.inner_text("[data-testid=editor-errors]")
        page.fill(f"li[data-module$='{split}'] [data-testid=param-seed]", "0")
        page.fill(f"li[data-module$='{normalise}'] [data-testid=param-scale]", "100")
        page.fill(f"li[data-module$='{split}'] [data-testid=param-ratio]", "0.5")
        page.click("[data-testid=save-run]")
        page.wait_for_url(RUN_PAGE)
        first_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
        first = wait_for_pipeline(first_id)
        assert first.status == Status.SUCCEEDED, f"{first.failure_reason}\n{logs(first)}"
        page.wait_for_selector("[data-testid=branch-link]")
        run_page = page.inner_text("body")
        assert "data-pipeline/prep-1" in run_page

        # The branch, cloned with git, holds the last step's output on top of the input commit.
        clone = tmp_path / "clone"
        git_client.run("clone", "-q", "-b", "data-pipeline/prep-1", remote, str(clone))
        assert (clone / "train.csv").read_text().splitlines() == ["a,b", "25.0,25.0", "50.0,50.0"]
        assert (clone / "test.csv").read_text().splitlines() == ["a,b", "75.0,75.0", "100.0,100.0"]
        assert (clone / "data.csv").read_text() == DATA  # smudged back from LFS
        message = git_client.run("log", "-1", "--format=%an%n%B", cwd=clone).stdout
        assert message.startswith(owner.get_full_name() or owner.username)
        for slug, publication in ((normalise, published[normalise]), (split, published[split])):
            assert f"{owner.username}/{slug} v1" in message and publication.image_digest in message
        assert '"scale": 100.0' in message and '"ratio": 0.5' in message
        assert (
            "data-pipeline/prep-1" in page.goto(hub.url + f"/{dataset.full_name}/pipelines/").text()
        )
        assert "prep" in page.inner_text("[data-testid=saved-pipelines]")

        # -- 2. unchanged re-run: served from the cache, no container.
        time.sleep(1.1)  # events have whole seconds: the first run's are all before `since`
        since = int(time.time())
        status, again = api(
            hub, token, "POST", f"/api/v1/modules/{dataset.full_name}/pipelines/prep/run/"
        )
        assert status == 202 and again["status"] == "succeeded" and again["cached"], again
        assert again["branch"] == "data-pipeline/prep-2"
        assert all(s["cached"] for s in again["steps"])
        assert run_containers(docker_engine, since, [normalise, split]) == []
        assert not any(step.container_name for step in PipelineRun.objects.get(
            pk=again["id"]).steps.all())  # fmt: skip

        # -- 3. step 2's parameter changed with git: the editor reads it back, and only
        # step 2 runs again.
        edit = tmp_path / "edit"
        git_client.run("clone", "-q", remote, str(edit))
        path = edit / ".mlreef" / "pipelines" / "prep.yml"
        document = yaml.safe_load(path.read_text())
        assert [s["module"] for s in document["steps"]] == [
            f"{owner.username}/{normalise}", f"{owner.username}/{split}"
        ]  # fmt: skip
        document["steps"][1]["parameters"]["ratio"] = 0.25
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        git_client.run("commit", "-q", "-am", "Smaller training share", cwd=edit)
        git_client.run("push", "-q", "origin", "master", cwd=edit)
        page.goto(hub.url + f"/{dataset.full_name}/pipelines/editor/?name=prep")
        page.wait_for_selector("#pipeline-editor[data-ready=true]")
        ratio = page.input_value(f"li[data-module$='{split}'] [data-testid=param-ratio]")
        assert float(ratio) == 0.25
        page.click("[data-testid=save-run]")
        page.wait_for_url(RUN_PAGE)
        third = wait_for_pipeline(int(page.url.rstrip("/").rsplit("/", 1)[-1]))
        assert third.status == Status.SUCCEEDED, f"{third.failure_reason}\n{logs(third)}"
        step1, step2 = third.steps.order_by("step")
        assert step1.cached and not step1.container_name
        assert not step2.cached and step2.container_name
        assert third.branch == "data-pipeline/prep-3"
        # *.csv is tracked by LFS in the dataset: the output went to LFS too.
        pointer = parse_pointer(dataset.repository.read_file(third.branch, "train.csv"))
        assert pointer is not None
        train = lfs_store().path(pointer.oid).read_text()
        assert train.splitlines() == ["a,b", "25.0,25.0"]

        # -- 4. a visualization: the PNG inline, the HTML sandboxed.
        page.goto(hub.url + f"/{dataset.full_name}/pipelines/")
        page.click("[data-testid=new-visualization]")
        page.select_option("[data-testid=version]", str(published[charts].pk))
        page.click("[data-testid=load]")
        page.check("#visualization-form input[name=input_path][value='data.csv']")
        page.click("[data-testid=start-visualization]")
        page.wait_for_url(RUN_PAGE)
        shown = wait_for_pipeline(int(page.url.rstrip("/").rsplit("/", 1)[-1]))
        assert shown.status == Status.SUCCEEDED, f"{shown.failure_reason}\n{logs(shown)}"
        page.reload()
        page.wait_for_selector("[data-testid=output-image]")
        width = page.eval_on_selector("[data-testid=output-image]", "img => img.naturalWidth")
        assert width == 40
        frame = page.frame_locator("[data-testid=output-html]")
        frame.locator("#api:not(:has-text('pending'))").wait_for()
        cookie_probe = frame.locator("#cookie").inner_text()
        api_probe = frame.locator("#api").inner_text()
        session_cookie = [c for c in page.context.cookies() if c["name"] == "sessionid"]
        assert session_cookie  # the hub's session exists, yet the frame cannot see it
        assert cookie_probe == "cookie-blocked", cookie_probe
        assert api_probe == "api-blocked", api_probe
        assert "summary.txt" in page.inner_text("[data-testid=outputs]")
        page.goto(hub.url + f"/{dataset.full_name}/pipelines/")
        assert charts in page.inner_text("[data-testid=visualizations]")
        browser.close()
    connections.close_all()

    # -- 5. a failing step stops the pipeline; its partial output is kept, not committed.
    status, body = api(hub, token, "POST", "/api/v1/pipeline-runs/", {
        "dataset": dataset.full_name, "name": "broken", "inputs": ["data.csv"],
        "steps": [{"module": f"{owner.username}/{normalise}", "parameters": {"scale": 3}},
                  {"module": f"{owner.username}/{split}", "parameters": {"fail_after_train": True}},
                  {"module": f"{owner.username}/{normalise}"}],
    })  # fmt: skip
    assert status == 202, body
    broken = wait_for_pipeline(body["id"])
    assert broken.status == Status.FAILED and broken.failed_step == 2, logs(broken)
    steps = list(broken.steps.order_by("step"))
    assert [s.status for s in steps] == [Status.SUCCEEDED, Status.FAILED, Status.CANCELLED]
    assert "disk full (on purpose)" in logs(broken)
    assert steps[1].artifacts.filter(path="train.csv").exists()  # partial output kept
    assert not broken.branch
    assert not [b for b in dataset.repository.branch_names() if "broken" in b]

    # -- 6. refusals, each a 400 with its reason.
    model = module_services.create_module(
        owner, name="net", slug=f"net-{tag}", kind="model", data_types=["tabular"]
    )
    secret = module_services.create_module(
        people.outsider, name="secret", slug=f"secret-{tag}", kind="data-operation",
        data_types=["tabular"], visibility="private",
    )  # fmt: skip
    failed = Publication.objects.create(
        module=published[normalise].module, version=2, commit_sha="0" * 40, entrypoint="op.py",
        base_environment=published[normalise].base_environment, builder="docker",
        status=PublicationStatus.FAILED, failure_reason="build failed",
    )  # fmt: skip
    cases = [
        ({"module": model.full_name}, "models run in experiments"),
        ({"module": f"{owner.username}/{charts}"}, "visualizations run as visualizations"),
        ({"module": f"{owner.username}/{normalise}", "version": failed.version}, "not published"),
        ({"module": secret.full_name}, "that you may read"),
        ({"module": f"{owner.username}/{split}", "parameters": {"ratio": "half"}}, "'ratio'"),
    ]
    for step, reason in cases:
        body = {"dataset": dataset.full_name, "name": "bad", "steps": [step]}
        status, body = api(hub, token, "POST", "/api/v1/pipeline-runs/", body)
        assert status == 400 and reason in body["detail"], (step, body)
    assert not Run.objects.filter(pipeline_run__name="bad").exists()
