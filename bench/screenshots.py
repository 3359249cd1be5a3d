"""Screenshots of the pages issue 10 is about, at desktop and phone width, for anyone to look at.

Starts gunicorn on a throw-away SQLite database, adds a module with a published version (its
parameters read from a real script, one hidden), a failed version with a colourful pip error,
and takes full-page screenshots in headless Chromium of: the module page, the wizard's
parameter step and the failed build's page, each at 1280 px and 390 px. Prints every file with
the page's scroll width (a page wider than the window scrolls sideways).

    python bench/screenshots.py [--out DIR] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import harness
from harness import ROOT

WORK = harness.isolate("mlreef-screenshots-", data="")

PASSWORD = "screenshots-Passw0rd"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SCRIPT = b"""import argparse
parser = argparse.ArgumentParser(description="Train a cat detector")
parser.add_argument("--input-path", required=True, help="Folder with the training images")
parser.add_argument("--output-path", required=True, help="Folder for the trained model")
parser.add_argument("--epochs", type=int, default=10, help="Passes over the data")
parser.add_argument("--learning-rate", type=float, default=0.001, help="Optimizer step size")
parser.add_argument("--optimizer", choices=["adam", "sgd", "rmsprop"], default="adam")
parser.add_argument("--image-size", type=int, nargs=2, default=[224, 224], help="Resize to")
parser.add_argument("--debug-port", type=int, default=5678, help="For the authors only")
args = parser.parse_args()
"""
README = b"""# Cat detector

Finds cats in photos. Train it on a folder of labelled images:

```sh
python train.py --input-path data/ --output-path model/ --epochs 10
```

| Metric | Value |
|---|---|
| Accuracy | 0.94 |
| F1 | 0.91 |
"""


def make_data() -> str:
    """The user, module, versions and log the screenshots show; returns the module's path."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from modules import services as module_services
    from publishing import services
    from publishing.models import BaseEnvironment, LogLine, Publication

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("alice", "alice@example.com", PASSWORD)
    module = module_services.create_module(
        user,
        name="Cat Detector",
        kind="model",
        data_types=["image"],
        description="A small CNN that finds cats in photos",
    )
    sha = module.repository.commit_files(
        "master",
        {"train.py": SCRIPT, "requirements.txt": b"numpy==2.1.0\n", "README.md": README},
        "Add the training script",
        "Alice",
        "alice@example.com",
    )
    environment = BaseEnvironment.objects.create(
        name="python-3.11",
        image="mlreef/python:3.11",
        python_version="3.11",
        description="Debian with Python 3.11, CPU only",
    )
    parameters = services.read_parameters(module, sha, "train.py")["parameters"]
    now = timezone.now()
    common = {
        "module": module,
        "branch": "master",
        "commit_sha": sha,
        "entrypoint": "train.py",
        "base_environment": environment,
        "builder": "DockerBuilder",
        "published_by": user,
        "parameters": [{**p, "visible": p["name"] != "debug_port"} for p in parameters],
        "parameter_visibility": {"debug_port": False},
    }
    Publication.objects.create(
        version=1,
        status="published",
        image_reference=f"hub.example.com:5000/{module.full_name}:1",
        image_digest="sha256:" + "3f" * 32,
        started_at=now - timezone.timedelta(seconds=95),
        finished_at=now,
        **common,
    )
    failed = Publication.objects.create(
        version=2,
        status="failed",
        failure_kind="user",
        failure_reason="Installing the requirements failed; pip's error is in the log.",
        image_reference=f"hub.example.com:5000/{module.full_name}:2",
        started_at=now - timezone.timedelta(seconds=41),
        finished_at=now,
        **common,
    )
    lines = [("cloning", f"Fetching {sha[:10]}"), ("parsing", "Reading the parameters")]
    lines += [
        ("building", f"Step {i}/9 : RUN something long enough to wrap {'x' * 40}")
        for i in range(40)
    ]
    lines += [
        ("building", "Collecting numpy==2.1.0"),
        ("building", "\x1b[91mERROR: Could not find a version that satisfies numpy==2.1.0\x1b[0m"),
        ("building", "\x1b[91mERROR: No matching distribution found for numpy==2.1.0\x1b[0m"),
        ("failed", "Publishing failed (fix the module): pip's error is in the log."),
        ("failed", "== failed =="),
    ]
    for number, (step, text) in enumerate(lines, start=1):
        LogLine.objects.create(publication=failed, number=number, step=step, text=text)
    return f"/{module.full_name}/"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--out", default=str(ROOT / "screenshots"))
    options.add_argument("--chromium", default="/usr/bin/chromium")
    args = options.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    module_path = make_data()
    hub = harness.start_hub(WORK)
    try:
        shoot(hub.url, module_path, out, args.chromium)
    finally:
        hub.stop()


def shoot(base: str, module_path: str, out: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    pages = {
        "module-page": module_path,
        "wizard-parameters": module_path + "publish/?step=parameters",
        "failed-build": module_path + "publications/2/",
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        for size_name, size in SIZES.items():
            context = browser.new_context(viewport=size)
            page = context.new_page()
            page.goto(base + "/accounts/login/")
            page.fill("#id_username", "alice")
            page.fill("#id_password", PASSWORD)
            page.click("button:has-text('Log in')")
            page.wait_for_selector("[data-testid=profile-link]")
            # The wizard's first step picks the entry point; the parameter step reads it.
            page.goto(base + module_path + "publish/")
            page.select_option("#entrypoint", "train.py")
            page.click("button:has-text('Next: parameters')")
            for name, path in pages.items():
                page.goto(base + path)
                target = out / f"{name}-{size_name}.png"
                page.screenshot(path=str(target), full_page=True)
                width = page.evaluate("() => document.documentElement.scrollWidth")
                print(f"{target}  scroll width {width} px (window {size['width']} px)")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
