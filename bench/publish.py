"""Benchmark publishing: daemonless builder vs Docker builder vs plain docker build + push.

One reference module (the model template + numpy), three contenders, three situations, the
contenders interleaved within each situation (their order rotates every round), all in one run:

- cold: new module, requirements never seen (a unique comment), empty build cache
- warm deps: new module (new image repository), the requirements of an earlier cold run
- code-only: the cold module again after a one-line code change

Contenders: the hub's daemonless builder and Docker builder, each through the publication service
(the same code the Celery task runs, called in-process: "button to published"); and plain
``docker build`` + ``docker push`` of a best-practice Dockerfile (requirements installed in a
layer before the code is copied). Every registry starts holding the base image, so nobody is
timed for pushing the base. Prints the table, the build+push share of each hub publication
(from the log's state marks) and the ratios against plain docker.

Needs a Docker engine (DOCKER_HOST), the base image mlreef/python:3.11 and its root file system
(/var/cache/mlreef/rootfs-bookworm, see .ci/run), Debian's docker-registry and access to the
package index. Starts its own registries and uses a throw-away DATA_DIR.

    python bench/publish.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import harness

WORK = harness.isolate("mlreef-bench-")
BASE_IMAGE = "mlreef/python:3.11"
ROOTFS = Path(os.environ.get("MLREEF_BENCH_ROOTFS", "/var/cache/mlreef/rootfs-bookworm"))
REQUIREMENT = "numpy==2.1.3"
CONTENDERS = ["daemonless", "docker builder", "plain docker"]
SITUATIONS = ["cold", "warm deps", "code-only"]


def run(*command: str, cwd: Path | None = None) -> None:
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def seed_engine_base(registry: str) -> None:
    """Push the engine's base image, so Docker pushes find its layer already there."""
    run("docker", "tag", BASE_IMAGE, f"{registry}/{BASE_IMAGE}")
    run("docker", "push", "-q", f"{registry}/{BASE_IMAGE}")
    run("docker", "rmi", f"{registry}/{BASE_IMAGE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    rounds = parser.parse_args().rounds
    if shutil.which("docker-registry") is None:
        raise SystemExit("needs Debian's docker-registry")
    if not (ROOTFS / "usr" / "bin" / "python3").exists():
        raise SystemExit(f"needs the base root file system at {ROOTFS}")
    hub_registry_server = harness.registry(WORK, "hub-registry")
    plain_registry_server = harness.registry(WORK, "plain-registry")
    hub_registry, plain_registry = hub_registry_server.host, plain_registry_server.host
    os.environ["REGISTRY_URL"] = hub_registry
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import User
    from modules import services as module_services
    from modules.file_templates import TEMPLATES
    from publishing import services
    from publishing.builders.daemonless.base_image import import_rootfs
    from publishing.builders.daemonless.builder import registry_client
    from publishing.models import BaseEnvironment, Status

    call_command("migrate", verbosity=0)
    client = registry_client()
    import_rootfs(ROOTFS, BASE_IMAGE, client, lambda *args, **kwargs: None)
    client.close()
    seed_engine_base(hub_registry)
    seed_engine_base(plain_registry)
    user = User.objects.create_user("bench", "bench@example.com", "bench-password-1")
    BaseEnvironment.objects.create(name="python-3.11", image=BASE_IMAGE, python_version="3.11")
    train = TEMPLATES["model"].render()
    times: dict[tuple[str, str], list[float]] = {}
    build_push: dict[tuple[str, str], list[float]] = {}

    def hub_publish(builder: str, module, cache: Path) -> tuple[float, float]:
        settings.IMAGE_BUILDER = builder
        settings.BUILD_CACHE_DIR = cache
        started = time.perf_counter()
        publication = services.start_publication(
            module,
            user,
            services.PublishRequest(
                ref="master", entrypoint="train.py", base_environment="python-3.11"
            ),
        )
        services.run_publication(publication.pk)
        elapsed = time.perf_counter() - started
        publication.refresh_from_db()
        if publication.status != Status.PUBLISHED:
            raise SystemExit(f"{builder} publication failed: {publication.failure_reason}")
        marks = {
            line.text.strip("= "): line.created_at
            for line in publication.lines.all()
            if line.text.startswith("== ")
        }
        return elapsed, (marks["published"] - marks["building"]).total_seconds()

    def new_module(requirements: str, tag: str):
        module = module_services.create_module(
            user, name=f"Bench {tag}", slug=f"bench-{tag}", kind="model", data_types=["image"]
        )
        module.repository.commit_files(
            "master",
            {"train.py": train.encode(), "requirements.txt": requirements.encode()},
            "Reference module",
            "bench",
            "bench@example.com",
        )
        return module

    def plain(context: Path, requirements: str, image: str, code_change: bool) -> float:
        if not context.exists():
            context.mkdir(parents=True)
            shutil.copyfile("/etc/ssl/certs/ca-certificates.crt", context / "ca.crt")
            (context / "requirements.txt").write_text(requirements)
            (context / "train.py").write_text(train)
            (context / "Dockerfile").write_text(
                f"FROM {BASE_IMAGE}\n"
                "ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 "
                "PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=/opt/ca.crt\n"
                "RUN python3 -m venv /opt/venv\nCOPY ca.crt /opt/ca.crt\n"
                "COPY requirements.txt /opt/requirements.txt\n"
                "RUN pip install -r /opt/requirements.txt\n"
                'COPY . /app\nWORKDIR /app\nENTRYPOINT ["python", "/app/train.py"]\n'
            )
        if code_change:
            (context / "train.py").write_text(train + f"\n# {uuid.uuid4()}\n")
        started = time.perf_counter()
        run("docker", "build", "--network", "host", "-q", "-t", image, ".", cwd=context)
        run("docker", "push", "-q", image)
        return time.perf_counter() - started

    plain_images: list[str] = []
    for round_number in range(rounds):
        order = CONTENDERS[round_number % 3 :] + CONTENDERS[: round_number % 3]
        requirements = {c: f"# bench {uuid.uuid4()}\n{REQUIREMENT}\n" for c in CONTENDERS}
        caches = {c: WORK / f"cache-{round_number}-{i}" for i, c in enumerate(CONTENDERS)}
        cold_modules: dict[str, object] = {}
        for situation in SITUATIONS:
            for contender in order:
                key = f"r{round_number}-{contender.split()[0]}"
                if contender == "plain docker":
                    name = {"cold": "cold", "warm deps": "warm", "code-only": "cold"}[situation]
                    image = f"{plain_registry}/bench/{key}-{name}:{situation.split()[0]}"
                    plain_images.append(image)
                    elapsed = plain(
                        WORK / "plain" / f"{key}-{name}",
                        requirements[contender],
                        image,
                        code_change=situation == "code-only",
                    )
                    shared = None
                else:
                    builder = "auto" if contender == "daemonless" else "docker"
                    if situation == "cold":
                        module = cold_modules[contender] = new_module(
                            requirements[contender], f"{key}-cold"
                        )
                    elif situation == "warm deps":
                        module = new_module(requirements[contender], f"{key}-warm")
                    else:
                        module = cold_modules[contender]
                        module.repository.commit_files(
                            "master",
                            {"train.py": (train + f"\n# {uuid.uuid4()}\n").encode()},
                            "Code-only change",
                            "bench",
                            "bench@example.com",
                        )
                    elapsed, shared = hub_publish(builder, module, caches[contender])
                times.setdefault((contender, situation), []).append(elapsed)
                if shared is not None:
                    build_push.setdefault((contender, situation), []).append(shared)
                print(
                    f"round {round_number + 1} {situation:9} {contender:15} {elapsed:7.2f} s",
                    flush=True,
                )

    print()
    print(f"reference module: model template + {REQUIREMENT}, base {BASE_IMAGE}, {rounds} rounds")
    print("median seconds, button (or command) to published; build+push share in brackets")
    print(f"{'situation':11}" + "".join(f"{c:>24}" for c in CONTENDERS))
    for situation in SITUATIONS:
        cells = []
        for contender in CONTENDERS:
            value = statistics.median(times[(contender, situation)])
            inner = build_push.get((contender, situation))
            extra = f" ({statistics.median(inner):.2f})" if inner else ""
            cells.append(f"{value:.2f}{extra}")
        print(f"{situation:11}" + "".join(f"{cell:>24}" for cell in cells))
    print("ratio plain docker / contender (above 1: faster than plain docker)")
    for situation in SITUATIONS:
        baseline = statistics.median(times[("plain docker", situation)])
        cells = [f"{baseline / statistics.median(times[(c, situation)]):.2f}x" for c in CONTENDERS]
        print(f"{situation:11}" + "".join(f"{cell:>24}" for cell in cells))
    hub_registry_server.stop()
    plain_registry_server.stop()
    for image in plain_images:
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
