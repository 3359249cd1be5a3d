"""What every benchmark starts from: a throw-away hub on embedded defaults and its servers.

Each bench/*.py imports this first (it sits beside them: ``import harness``). It puts the hub's
packages on the path; ``isolate`` gives the run its own data folder on SQLite and the embedded
broker, never the shared PostgreSQL or Redis. The servers start exactly as the tests start
them (``tests/helpers.py``: gunicorn beside the stream server, Debian's docker-registry, free
ports, waiting until they listen), so a benchmark measures the hub the tests check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import (  # noqa: E402 - needs ROOT on the path
    LiveHub,
    RegistryServer,
    free_port,
    start_gunicorn,
    start_registry,
    wait_for_port,
)

__all__ = [
    "ROOT",
    "LiveHub",
    "RegistryServer",
    "free_port",
    "isolate",
    "registry",
    "start_hub",
    "start_registry",
    "start_worker",
    "stop",
    "wait_for_port",
]


def isolate(prefix: str, data: str = "data") -> Path:
    """A fresh work folder whose ``data`` subfolder (the folder itself when empty) is the
    hub's DATA_DIR, on SQLite and the embedded broker whatever the environment says."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["DATA_DIR"] = str(work / data if data else work)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "mlreef.settings"
    return work


def registry(work: Path, name: str = "registry") -> RegistryServer:
    """Debian's docker-registry storing under ``work/name``."""
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    return start_registry(folder)


def start_hub(work: Path, **extra_env: str) -> LiveHub:
    """gunicorn and the stream server on this process's database (after ``django.setup()``),
    one web worker unless ``WEB_WORKERS`` says otherwise; their output in ``work/hub.log``."""
    from django.db import connections

    return start_gunicorn(dict(connections["default"].settings_dict), work / "hub.log", extra_env)


def start_worker(hub: LiveHub, queue: str, **extra_env: str) -> subprocess.Popen:
    """One Celery worker process on ``queue`` that reaches ``hub`` over HTTP, as a run worker
    on another machine would; its output beside the hub's."""
    env = {**os.environ, "HUB_URL": hub.url, **extra_env}
    log = open(hub.log_path.with_name(f"worker-{queue}.log"), "wb")  # noqa: SIM115 - its lifetime
    command = [sys.executable, "-m", "celery", "-A", "mlreef", "worker", "-Q", queue]
    command += ["--concurrency", "1", "--loglevel", "WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(*processes: subprocess.Popen, seconds: float = 30) -> None:
    """Terminate each process, then wait for it (killed when it does not stop in time)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
