"""Benchmark Git LFS through the hub against raw copies of the same files, in one run.

Pushes 10 files of 100 MiB (1 GiB of random bytes, tracked by ``git lfs track``) to a dataset
on a real gunicorn serving the hub, clones it back (LFS smudge included, git-lfs's default
settings), and copies the same files on the same disk. Prints the throughput of each, ratios
against the copies, the server's CPU seconds, and its peak memory growth (RSS of gunicorn's
processes, sampled every 20 ms, above its level after a warm-up push and clone of a small
dataset). Every timed step starts after ``sync``, so none pays for another's writeback.

What the target (push and clone at least half the raw copy rate) is judged against:

* **durable copy** (the baseline): each file copied and ``fsync``-ed, then the directory.
  The hub acknowledges an uploaded object only once it is on disk (``fsync`` before the
  rename, then the directory), so a push does exactly that work plus the network and the
  hash; the copy is the same bytes reaching the same disk without them. It is timed before
  and after the hub's steps and the faster of the two is the baseline (the stricter one).
* **page-cache copy** (shown, not the target): ``shutil.copyfile`` without ``fsync``. With
  1 GiB and gigabytes of free memory the bytes never reach the disk while it is timed, so it
  measures memory bandwidth, not the disk: nothing that sends bytes over a socket and hashes
  them comes within half of it, however fast the server.
* **clone**: git-lfs downloads each object into ``.git/lfs/objects`` while hashing it, then
  the checkout smudges it into the work tree: two writes of every byte, neither ``fsync``-ed
  (the client's choice; git does not sync the work tree either). The clone row is what a user
  waits for, against the same durable copy. The "clone + fsync" row also syncs every file the
  clone wrote, i.e. the dataset on disk as the baseline leaves it; since the client writes it
  twice, about half the durable copy rate is that row's ceiling.
* **HTTP GET of objects**: the batch API then each object read and discarded, i.e. the
  server's share of a clone without the client's two writes.

Needs git and git-lfs; uses a throw-away DATA_DIR (SQLite) and about 8 GiB of disk.

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
    """Peak RSS of gunicorn (master and workers) and, apart, of the processes its workers start.

    Workers are the master's children; anything below them (git http-backend, hooks) counts
    apart, also in the moment after a fork when such a child still has gunicorn's command
    line and a copy of the worker's pages in its RSS.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak, self.peak_children = self.current()
        self.running = True

    def current(self) -> tuple[int, int]:
        server = children = 0
        workers = set()
        for proc in self.process.children():
            try:
                if "gunicorn" in " ".join(proc.cmdline()):
                    workers.add(proc.pid)
            except psutil.NoSuchProcess:
                continue
        for proc in [self.process, *self.process.children(recursive=True)]:
            try:
                rss = proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
            if proc.pid == self.process.pid or proc.pid in workers:
                server += rss
            else:
                children += rss
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

    names = [f"part-{index:02d}.bin" for index in range(options.files)]
    oids = {name: hashlib.sha256((work / name).read_bytes()).hexdigest() for name in names}
    timings: dict[str, tuple[float, float | None]] = {}  # label -> (seconds, server CPU s)

    def measure(label: str, action, on_server: bool = True) -> float:
        os.sync()
        cpu, started = server_cpu(), time.perf_counter()
        action()
        seconds = time.perf_counter() - started
        timings[label] = (seconds, server_cpu() - cpu if on_server else None)
        return seconds

    durable = [measure("durable copy", lambda: durable_copy(work, names, WORK / "d1"), False)]
    measure("page-cache copy", lambda: page_cache_copy(work, names, WORK / "p1"), False)

    sampler = MemorySampler(server.pid)
    baseline = sampler.current()[0]
    sampler.start()
    measure("git push (LFS)", lambda: git("push", "-q", url, "master", cwd=work, env=env))
    clone = WORK / "clone"
    clone_seconds = measure("git clone (LFS)", lambda: git("clone", "-q", url, str(clone), env=env))
    started = time.perf_counter()
    fsync_tree(clone)
    timings["git clone + fsync"] = (clone_seconds + time.perf_counter() - started, None)
    measure(
        "HTTP GET of objects",
        lambda: download_objects(base, dataset, token, oids, options.mib * MIB),
    )
    peak = sampler.stop()
    for name in names:
        if (clone / name).stat().st_size != options.mib * MIB:
            sys.exit(f"{name} did not come back whole")
    durable.append(
        measure("durable copy (again)", lambda: durable_copy(work, names, WORK / "d2"), False)
    )
    copy_seconds = min(durable)

    print(f"{'':24}{'seconds':>8}{'MiB/s':>8}{'vs durable':>11}{'vs cache':>9}{'server CPU s':>13}")
    cache_seconds = timings["page-cache copy"][0]
    for label, (seconds, cpu) in timings.items():
        rate = total / MIB / seconds
        cpu_text = f"{cpu:13.1f}" if cpu is not None else ""
        print(
            f"{label:24}{seconds:8.1f}{rate:8.0f}{copy_seconds / seconds:11.2f}"
            f"{cache_seconds / seconds:9.2f}{cpu_text}"
        )
    growth = (peak - baseline) / MIB
    print(f"server memory: {baseline / MIB:.0f} MiB before, peak growth {growth:.1f} MiB")
    children = sampler.peak_children / MIB
    print(f"git processes the server ran (http-backend, hooks): peak {children:.0f} MiB")
    push_ratio = copy_seconds / timings["git push (LFS)"][0]
    clone_ratio = copy_seconds / clone_seconds
    verdict = "met" if min(push_ratio, clone_ratio) >= 0.5 and growth < 50 else "NOT met"
    print(
        f"targets: push and clone >= 0.5 x durable copy (faster of its two runs), memory growth"
        f" < 50 MiB: push {push_ratio:.2f}, clone {clone_ratio:.2f}, {growth:.0f} MiB: {verdict}"
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average after the run: {load} on {os.cpu_count()} CPUs")


def page_cache_copy(source: Path, names: list[str], folder: Path) -> None:
    folder.mkdir()
    for name in names:
        shutil.copyfile(source / name, folder / name)


def durable_copy(source: Path, names: list[str], folder: Path) -> None:
    """Copy, then make each file and the directory durable, as the hub does with an upload."""
    folder.mkdir()
    for name in names:
        shutil.copyfile(source / name, folder / name)
        fsync_path(folder / name)
    fsync_path(folder)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under ``root`` (what a clone wrote)."""
    for folder, _, files in os.walk(root):
        for name in files:
            fsync_path(Path(folder) / name)
        fsync_path(Path(folder))


def download_objects(base: str, dataset, token: str, oids: dict[str, str], size: int) -> None:
    """The server's share of a clone: the batch API, then each object read and discarded."""
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
    buffer = memoryview(bytearray(MIB))
    for oid in oids.values():
        action = actions[oid]
        get = urllib.request.Request(action["href"], headers=action.get("header", {}))
        received = 0
        with urllib.request.urlopen(get) as response:
            while count := response.readinto(buffer):
                received += count
        if received != size:
            sys.exit(f"object {oid} came back with {received} bytes, not {size}")


if __name__ == "__main__":
    main()
