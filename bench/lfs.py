"""Benchmark Git LFS through the hub against a raw copy of the same files, in one run.

Pushes 10 files of 100 MiB (1 GiB of random bytes, tracked by ``git lfs track``) to a dataset
on a real gunicorn serving the hub, clones it back (LFS smudge included), and copies the same
files on the same disk with ``shutil.copyfile``. Also fetches the objects with plain HTTP GETs
(the server's share of a clone, without git-lfs writing each file twice). Prints the
throughput of each, the ratios against the raw copy, the server's CPU seconds, and its peak
memory growth (RSS of gunicorn's processes, sampled every 20 ms, above its level after a
warm-up push and clone of a small dataset).

Needs git and git-lfs; uses a throw-away DATA_DIR (SQLite) and about 6 GiB of disk.

    python bench/lfs.py [--files 10] [--mib 100]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
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

    def server_cpu() -> float:
        processes = [psutil.Process(server.pid), *psutil.Process(server.pid).children()]
        return sum(p.cpu_times().user + p.cpu_times().system for p in processes)

    sampler = MemorySampler(server.pid)
    baseline = sampler.current()[0]
    sampler.start()
    timings: dict[str, tuple[float, float]] = {}  # label -> (seconds, server CPU seconds)

    def measure(label: str, action) -> None:
        cpu, started = server_cpu(), time.perf_counter()
        action()
        timings[label] = (time.perf_counter() - started, server_cpu() - cpu)

    measure("git push (LFS)", lambda: git("push", "-q", url, "master", cwd=work, env=env))
    measure("git clone (LFS)", lambda: git("clone", "-q", url, str(WORK / "clone"), env=env))
    names = [f"part-{index:02d}.bin" for index in range(options.files)]
    oids = {name: hashlib.sha256((work / name).read_bytes()).hexdigest() for name in names}
    downloads = WORK / "downloads"
    downloads.mkdir()
    measure(
        "HTTP GET of objects",
        lambda: download_objects(base, dataset, token, oids, options.mib * MIB, downloads),
    )
    peak = sampler.stop()
    for name in names:
        for folder in (WORK / "clone", downloads):
            if (folder / name).stat().st_size != options.mib * MIB:
                sys.exit(f"{name} did not come back whole")

    copies = WORK / "copies"
    copies.mkdir()
    started = time.perf_counter()
    for name in names:
        shutil.copyfile(work / name, copies / name)
    copy_seconds = time.perf_counter() - started

    print(f"{'':22}{'seconds':>9}{'MiB/s':>9}{'vs copy':>9}{'server CPU s':>14}")
    print(f"{'raw copy (baseline)':22}{copy_seconds:9.1f}{total / MIB / copy_seconds:9.0f}{1:9.2f}")
    for label, (seconds, cpu) in timings.items():
        rate = total / MIB / seconds
        print(f"{label:22}{seconds:9.1f}{rate:9.0f}{copy_seconds / seconds:9.2f}{cpu:14.1f}")
    growth = (peak - baseline) / MIB
    print(f"server memory: {baseline / MIB:.0f} MiB before, peak growth {growth:.1f} MiB")
    children = sampler.peak_children / MIB
    print(f"git processes the server ran (http-backend, hooks): peak {children:.0f} MiB")
    print("targets: push and clone >= 0.5 x raw copy; memory growth < 50 MiB")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def download_objects(base, dataset, token, oids: dict[str, str], size: int, folder) -> None:
    """What the server alone does for a clone: the batch API, then each object over HTTP."""
    host = base.split("@", 1)[1]
    auth = "Basic " + base64.b64encode(f"bench:{token}".encode()).decode()
    body = {"operation": "download", "objects": [{"oid": o, "size": size} for o in oids.values()]}
    request = urllib.request.Request(
        f"http://{host}{dataset.clone_path()}/info/lfs/objects/batch",
        data=json.dumps(body).encode(),
        headers={"Authorization": auth, "Content-Type": "application/vnd.git-lfs+json"},
    )
    with urllib.request.urlopen(request) as response:
        actions = {
            o["oid"]: o["actions"]["download"] for o in json.loads(response.read())["objects"]
        }
    for name, oid in oids.items():
        action = actions[oid]
        get = urllib.request.Request(action["href"], headers=action.get("header", {}))
        with urllib.request.urlopen(get) as response, open(folder / name, "wb") as out:
            shutil.copyfileobj(response, out, 1024 * 1024)


if __name__ == "__main__":
    main()
