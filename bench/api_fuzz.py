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
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    work = Path(tempfile.mkdtemp(prefix="mlreef-fuzz-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DATA_DIR=str(work / "data"), DJANGO_SETTINGS_MODULE="mlreef.settings")
    os.environ.update(env)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    token, module = prepare()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "mlreef/gunicorn_conf.py"],
        cwd=ROOT,
        env={**env, "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1", "LOG_LEVEL": "ERROR"},
        stdout=open(work / "gunicorn.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
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
        result = subprocess.run(command, cwd=work, env={**env, "NO_COLOR": "1"})
        errors = [
            line
            for line in (work / "gunicorn.log").read_text(errors="replace").splitlines()
            if "Internal Server Error" in line or "Traceback" in line
        ]
        for line in errors[:20]:
            print("server:", line)
        return result.returncode or (1 if errors else 0)
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--examples", type=int, default=25)
    options.add_argument("--max-time", type=int, default=300)
    args = options.parse_args()
    sys.exit(run(args.examples, args.max_time))


if __name__ == "__main__":
    main()
