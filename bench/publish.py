"""Benchmark publishing against plain `docker build` + `docker push`, in one run.

Publishes a reference module cold (its dependency layer not cached) and again after a
code-only change, through the platform's publication service and Docker builder (the same code
the Celery task runs, called in-process). Then builds and pushes the same code with plain
`docker build` + `docker push` and the Dockerfile people usually write (copy the code, then
pip install), cold and after the same code-only change. Prints the times and the ratios.

Needs a Docker engine (DOCKER_HOST), the base image mlreef/python:3.11 (see .ci/run) and
Debian's docker-registry; it starts its own registry and uses a throw-away DATA_DIR.

    python bench/publish.py
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="mlreef-bench-"))
os.environ["DATA_DIR"] = str(WORK / "data")
os.environ.pop("DATABASE_URL", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "mlreef.settings"
BASE_IMAGE = "mlreef/python:3.11"
REQUIREMENT = "numpy==2.1.3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_registry(name: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config = WORK / f"{name}.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {WORK / name}\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    process = subprocess.Popen(
        ["docker-registry", "serve", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    raise SystemExit("docker-registry did not start")


def run(*command: str, cwd: Path | None = None) -> None:
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def main() -> None:
    if shutil.which("docker-registry") is None:
        raise SystemExit("needs Debian's docker-registry")
    # Each side gets an empty registry of its own: neither finds the other's base layer there.
    registry_process, registry_host = start_registry("hub-registry")
    plain_registry_process, plain_registry_host = start_registry("plain-registry")
    os.environ["REGISTRY_URL"] = registry_host
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from modules import services as module_services
    from modules.file_templates import TEMPLATES
    from publishing import services
    from publishing.models import BaseEnvironment, Status

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", "bench@example.com", "bench-password-1")
    module = module_services.create_module(user, name="Bench", kind="model", data_types=["image"])
    BaseEnvironment.objects.create(name="python-3.11", image=BASE_IMAGE, python_version="3.11")
    train = TEMPLATES["model"].render()
    # A unique comment makes the dependency layer new to the engine: a cold publish.
    requirements = f"# bench {uuid.uuid4()}\n{REQUIREMENT}\n"
    module.repository.commit_files(
        "master",
        {"train.py": train.encode(), "requirements.txt": requirements.encode()},
        "Reference module",
        "bench",
        "bench@example.com",
    )

    stage_times: list[str] = []

    def publish() -> float:
        started = time.perf_counter()
        publication = services.start_publication(
            module,
            user,
            services.PublishRequest(
                ref="master", entrypoint="train.py", base_environment="python-3.11"
            ),
        )
        services.run_publication(publication.pk)
        publication.refresh_from_db()
        if publication.status != Status.PUBLISHED:
            raise SystemExit(f"publication failed: {publication.failure_reason}")
        marks = {
            line.text.strip("= "): line.created_at
            for line in publication.lines.all()
            if line.text.startswith("== ")
        }
        order = ["cloning", "parsing", "building", "pushing", "published"]
        stage_times.append(
            ", ".join(
                f"{a} {(marks[b] - marks[a]).total_seconds():.2f} s"
                for a, b in zip(order, order[1:], strict=False)
            )
        )
        return time.perf_counter() - started

    hub_cold = publish()
    module.repository.commit_files(
        "master",
        {"train.py": (train + "\n# v2\n").encode()},
        "Code-only change",
        "bench",
        "bench@example.com",
    )
    hub_warm = publish()

    # Plain docker build + push of the same code, with the usual single-COPY Dockerfile.
    context = WORK / "plain"
    plain_requirements = f"# plain {uuid.uuid4()}\n{REQUIREMENT}\n"
    context.mkdir()
    (context / "train.py").write_text(train)
    (context / "requirements.txt").write_text(plain_requirements)
    shutil.copyfile("/etc/ssl/certs/ca-certificates.crt", context / "ca.crt")
    (context / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN python3 -m venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH "
        "PIP_CERT=/app/ca.crt\nCOPY . /app\nWORKDIR /app\n"
        'RUN pip install -r requirements.txt\nENTRYPOINT ["python", "/app/train.py"]\n'
    )
    image = f"{plain_registry_host}/bench/plain"

    def plain(tag: str) -> float:
        started = time.perf_counter()
        run("docker", "build", "--network", "host", "-q", "-t", f"{image}:{tag}", ".", cwd=context)
        run("docker", "push", "-q", f"{image}:{tag}")
        return time.perf_counter() - started

    plain_cold = plain("1")
    (context / "train.py").write_text(train + "\n# v2\n")
    plain_warm = plain("2")

    print(f"reference module: model template + {REQUIREMENT}, base {BASE_IMAGE}")
    print(f"  hub publish, cold                   {hub_cold:7.2f} s   ({stage_times[0]})")
    print(f"  hub publish, code-only change       {hub_warm:7.2f} s   ({stage_times[1]})")
    print(f"  docker build + push, cold           {plain_cold:7.2f} s")
    print(f"  docker build + push, code change    {plain_warm:7.2f} s")
    print(f"  cold ratio (docker / hub)           {plain_cold / hub_cold:7.2f}x")
    print(f"  republish ratio (docker / hub)      {plain_warm / hub_warm:7.2f}x")
    registry_process.terminate()
    plain_registry_process.terminate()
    for tag in ("1", "2"):
        subprocess.run(["docker", "rmi", "-f", f"{image}:{tag}"], capture_output=True)
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
