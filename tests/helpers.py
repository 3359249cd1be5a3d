"""Shared test helpers: a real gunicorn server, a real git client."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from pipelines.runners.docker import DockerRunner

GIT = shutil.which("git")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(db: dict) -> str:
    """Turn the test connection's settings back into a DATABASE_URL for child processes."""
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


@dataclass
class LiveHub:
    """gunicorn and the stream server beside it, as ``manage.py serve`` runs them."""

    url: str
    process: subprocess.Popen
    log_path: Path
    stream_url: str = ""
    stream_process: subprocess.Popen | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        for process in (self.process, self.stream_process):
            if process is not None and process.poll() is None:
                process.terminate()
        for process in (self.process, self.stream_process):
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def start_gunicorn(db: dict, log_path: Path, extra_env: dict | None = None) -> LiveHub:
    port, stream_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(db),
        "DATA_DIR": str(settings.DATA_DIR),
        "BIND": f"127.0.0.1:{port}",
        "STREAM_BIND": f"127.0.0.1:{stream_port}",
        "WEB_WORKERS": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        **(extra_env or {}),
    }
    log = open(log_path, "wb")  # noqa: SIM115 - kept open for the server's lifetime
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "mlreef/gunicorn_conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    streams = subprocess.Popen(
        [sys.executable, "manage.py", "serve_streams"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    wait_for_port(stream_port, streams)
    return LiveHub(
        url=f"http://127.0.0.1:{port}",
        process=process,
        log_path=log_path,
        stream_url=f"http://127.0.0.1:{stream_port}",
        stream_process=streams,
    )


@dataclass
class RegistryServer:
    host: str
    storage: Path
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def start_registry(folder: Path, storage: Path | None = None, read_only: bool = False):
    """Debian's docker-registry on a free port; ``read_only`` refuses every push."""
    port = free_port()
    storage = storage or folder / "data"
    maintenance = "  maintenance:\n    readonly:\n      enabled: true\n" if read_only else ""
    (folder / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {storage}\n  delete:\n    enabled: true\n{maintenance}"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    log = open(folder / "registry.log", "wb")  # noqa: SIM115 - kept open for its lifetime
    process = subprocess.Popen(
        [shutil.which("docker-registry") or "docker-registry", "serve", str(folder / "config.yml")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    return RegistryServer(f"127.0.0.1:{port}", storage, process)


@dataclass
class GitClient:
    """The real git command line, isolated from the machine's config and credential helpers."""

    home: Path
    env: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": "Tester",
            "GIT_AUTHOR_EMAIL": "tester@example.com",
            "GIT_COMMITTER_NAME": "Tester",
            "GIT_COMMITTER_EMAIL": "tester@example.com",
            "LANG": "C",
        }

    def run(
        self, *args: str, cwd: Path | None = None, check: bool = True, extra_env: dict | None = None
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [GIT, *args],
            cwd=cwd,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def new_work_tree(self, path: Path, files: dict[str, str | bytes]) -> Path:
        path.mkdir(parents=True)
        self.run("init", "-q", "-b", "master", cwd=path)
        for name, content in files.items():
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
        self.run("add", "-A", cwd=path)
        self.run("commit", "-q", "-m", "Initial code", cwd=path)
        return path


def url_with_credentials(
    base: str, path: str, username: str | None = None, secret: str | None = None
) -> str:
    if username is None:
        return f"{base}{path}"
    scheme, rest = base.split("://", 1)
    return f"{scheme}://{quote(username)}:{quote(secret or '', safe='')}@{rest}{path}"


class OnlyThese(DockerRunner):
    """The real Docker runner, seeing only the run containers named: the engine is shared with
    other test sessions, whose containers a test's sweep must never remove."""

    def __init__(self, *names: str) -> None:
        super().__init__()
        self.names = set(names)

    def run_containers(self):
        return [c for c in super().run_containers() if c.name in self.names]
