"""Benchmark Git LFS through the hub against a raw copy of the same files, in one run.

Pushes 10 files of 100 MiB (1 GiB of random bytes, tracked by ``git lfs track``) to a dataset
on a real gunicorn serving the hub, clones it back (LFS smudge included), and copies the same
files on the same disk with ``shutil.copyfile``. Prints the throughput of each, the ratios
against the raw copy, and the server's peak memory growth (RSS of gunicorn's processes,
sampled every 20 ms, above its level before the push).

Needs git and git-lfs; uses a throw-away DATA_DIR (SQLite) and about 6 GiB of disk.

    python bench/lfs.py [--files 10] [--mib 100]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="mlreef-lfs-bench-"))
os.environ["DATA_DIR"] = str(WORK / "data")
os.environ.pop("DATABASE_URL", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "mlreef.settings"
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MemorySampler(threading.Thread):
    """Peak RSS of gunicorn (master and workers) and, apart, of the git processes it starts."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak, self.peak_children = self.current()
        self.running = True

    def current(self) -> tuple[int, int]:
        server = children = 0
        for proc in [self.process, *self.process.children(recursive=True)]:
            try:
                rss = proc.memory_info().rss
                if proc.pid == self.process.pid or "gunicorn" in " ".join(proc.cmdline()):
                    server += rss
                else:
                    children += rss
            except psutil.NoSuchProcess:
                continue
        return server, children

    def run(self) -> None:
        while self.running:
            server, children = self.current()
            self.peak = max(self.peak, server)
            self.peak_children = max(self.peak_children, children)
            time.sleep(0.02)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def git(*args: str, cwd: Path | None = None, env: dict) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--mib", type=int, default=100, help="size of each file")
    options = parser.parse_args()
    if shutil.which("git-lfs") is None:
        sys.exit("git-lfs is not installed (apt-get install git-lfs)")

    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import PersonalAccessToken, User
    from modules import services

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", "bench@example.com", "bench-password-1")
    _, token = PersonalAccessToken.issue(user, "bench", scopes=["read", "write"])
    dataset = services.create_module(
        user, name="Bench", slug="bench", kind="dataset", data_types=["other"]
    )
    warmup = services.create_module(
        user, name="Warm-up", slug="warm-up", kind="dataset", data_types=["other"]
    )

    port = free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1"}
    log = open(WORK / "gunicorn.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "mlreef/gunicorn_conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        run(options, server, port, dataset, warmup, token)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(WORK, ignore_errors=True)


def make_lfs_repository(path: Path, files: int, mib: int, env: dict) -> None:
    path.mkdir()
    git("init", "-q", "-b", "master", cwd=path, env=env)
    git("lfs", "track", "*.bin", cwd=path, env=env)
    for index in range(files):
        with open(path / f"part-{index:02d}.bin", "wb") as handle:
            for _ in range(mib):
                handle.write(os.urandom(MIB))
    git("add", "-A", cwd=path, env=env)
    git("commit", "-q", "-m", "Data", cwd=path, env=env)


def run(options, server, port: int, dataset, warmup, token: str) -> None:
    home = WORK / "home"
    home.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    git("lfs", "install", "--skip-repo", env=env)
    base = f"http://bench:{token}@127.0.0.1:{port}"
    # Warm the server up (lazy imports, thread pool, connections) with a small LFS push and
    # clone of another dataset, so the memory figure is what the transfer itself costs.
    make_lfs_repository(WORK / "warm-up", 8, 1, env)
    git("push", "-q", base + warmup.clone_path(), "master", cwd=WORK / "warm-up", env=env)
    git("clone", "-q", base + warmup.clone_path(), str(WORK / "warm-up-clone"), env=env)

    work = WORK / "work"
    total = options.files * options.mib * MIB
    print(f"Writing {options.files} files of {options.mib} MiB of random bytes…", flush=True)
    make_lfs_repository(work, options.files, options.mib, env)
    url = base + dataset.clone_path()

    sampler = MemorySampler(server.pid)
    baseline = sampler.current()[0]
    sampler.start()
    started = time.perf_counter()
    git("push", "-q", url, "master", cwd=work, env=env)
    push_seconds = time.perf_counter() - started
    started = time.perf_counter()
    git("clone", "-q", url, str(WORK / "clone"), env=env)
    clone_seconds = time.perf_counter() - started
    peak = sampler.stop()
    children = sampler.peak_children
    for index in range(options.files):
        name = f"part-{index:02d}.bin"
        if (WORK / "clone" / name).stat().st_size != options.mib * MIB:
            sys.exit(f"{name} did not come back whole")

    copies = WORK / "copies"
    copies.mkdir()
    started = time.perf_counter()
    for index in range(options.files):
        name = f"part-{index:02d}.bin"
        shutil.copyfile(work / name, copies / name)
    copy_seconds = time.perf_counter() - started

    def rate(seconds: float) -> float:
        return total / MIB / seconds

    print(f"{'':22}{'seconds':>9}{'MiB/s':>9}{'vs copy':>9}")
    for label, seconds in (
        ("raw copy (baseline)", copy_seconds),
        ("git push (LFS)", push_seconds),
        ("git clone (LFS)", clone_seconds),
    ):
        print(f"{label:22}{seconds:9.1f}{rate(seconds):9.0f}{copy_seconds / seconds:9.2f}")
    growth = (peak - baseline) / MIB
    print(f"server memory: {baseline / MIB:.0f} MiB before, peak growth {growth:.1f} MiB")
    print(f"git processes the server ran (http-backend, hooks): peak {children / MIB:.0f} MiB")
    print("targets: push and clone >= 0.5 x raw copy; memory growth < 50 MiB")


if __name__ == "__main__":
    main()
