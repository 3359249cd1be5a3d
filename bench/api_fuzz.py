"""Schema-driven fuzzing of the REST API with schemathesis (pinned in requirements-dev.txt).

Starts gunicorn on a throw-away SQLite database holding a user with a write token, a public
module with code, a base environment and a publication, then runs ``schemathesis run`` against
``/api/v1/schema/`` with the owner's token for a bounded number of examples per operation. Two
checks: no answer is a 5xx, and every status code is one the schema declares. Exits non-zero
on any failure (tests/test_api_fuzz.py runs it briefly; run it longer by hand).

    python bench/api_fuzz.py [--examples 25] [--max-time 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import harness


def prepare() -> tuple[str, str]:
    """The fuzzing data: returns (token, a module's namespace/slug)."""
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import PersonalAccessToken, User
    from modules import services as module_services
    from modules.file_templates import TEMPLATES
    from publishing.models import BaseEnvironment, Publication

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("fuzz", "f@example.com", "fuzz-password-1")
    module = module_services.create_module(
        user, name="Fuzz", slug="fuzz", kind="model", data_types=["any"]
    )
    module.repository.commit_files(
        "master",
        {"train.py": TEMPLATES["model"].render().encode(), "requirements.txt": b""},
        "Add code",
        "Fuzz",
        "f@example.com",
    )
    environment = BaseEnvironment.objects.create(name="py", image="x", python_version="3.11")
    Publication.objects.create(
        module=module,
        version=1,
        commit_sha=module.repository.resolve("master"),
        entrypoint="train.py",
        base_environment=environment,
        builder="fuzz",
        status="failed",
    )
    _, raw = PersonalAccessToken.issue(user, "fuzz", ["read", "write"])
    return raw, module.full_name


def run(examples: int, max_time: int, workers: int = 2) -> int:
    work = harness.isolate("mlreef-fuzz-")
    token, module = prepare()
    hub = harness.start_hub(work, LOG_LEVEL="ERROR")
    base = hub.url
    try:
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{base}/api/v1/schema/?format=json",
            "--checks",
            "not_a_server_error,status_code_conformance",
            "--max-examples",
            str(examples),
            "--max-time",
            str(max_time),
            "--workers",
            str(workers),
            "--seed",
            "20261128",
            "--header",
            f"Authorization: Bearer {token}",
            "--request-timeout",
            "30",
            "--suppress-health-check",
            "all",
            "--warnings",
            "off",
            "--report-dir",
            str(work / "reports"),
        ]
        print(f"fuzzing {base}/api/v1/ (module {module}), {examples} examples per operation")
        result = subprocess.run(command, cwd=work, env={**os.environ, "NO_COLOR": "1"})
        errors = [
            line
            for line in hub.log().splitlines()
            if "Internal Server Error" in line or "Traceback" in line
        ]
        for line in errors[:20]:
            print("server:", line)
        return result.returncode or (1 if errors else 0)
    finally:
        hub.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--examples", type=int, default=25)
    options.add_argument("--max-time", type=int, default=300)
    args = options.parse_args()
    sys.exit(run(args.examples, args.max_time))


if __name__ == "__main__":
    main()
