"""Soak: do open live log streams slow down pages and git?

Starts the platform as ``manage.py serve`` does (gunicorn with its default workers and threads,
and the stream server) on a throw-away SQLite database, with one public module and one running
publication whose log grows by a line every half second. Then, twice for ``--seconds`` each:

1. baseline: 20 clients clone the module and browse its pages, no stream open;
2. soak: the same 20 clients while 200 EventSource-like clients hold the publication's log
   stream open (each opened through the hub's events URL and its 307 to the stream server;
   the streams come from 50 loopback addresses, 4 each, within the per-address cap).

It prints p50/p99 page and clone latency of both runs and their ratio (target: within 1.5x),
the servers' memory growth during the soak, how many streams stayed open and received lines,
and every failed request (target: none).

    python bench/soak.py [--seconds 60] [--streams 200] [--clients 20]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import threading
import time
from urllib.parse import urlsplit

import harness
import psutil

WORK = harness.isolate("mlreef-soak-")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class Load:
    """20 clients: each clones, then loads three pages, until the time is up."""

    def __init__(self, base: str, module_path: str, clients: int, seconds: float) -> None:
        self.base, self.module_path = base, module_path
        self.clients, self.seconds = clients, seconds
        self.pages: list[float] = []
        self.clones: list[float] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def run(self) -> None:
        deadline = time.monotonic() + self.seconds
        threads = [
            threading.Thread(target=self.client, args=(n, deadline)) for n in range(self.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def client(self, number: int, deadline: float) -> None:
        address = urlsplit(self.base)
        paths = ["/", f"{self.module_path}/", f"{self.module_path}/blob/?path=train.py"]
        target = WORK / f"clone-{number}"
        while time.monotonic() < deadline:
            started = time.perf_counter()
            shutil.rmtree(target, ignore_errors=True)
            result = subprocess.run(
                ["git", "clone", "-q", f"{self.base}{self.module_path}.git", str(target)],
                capture_output=True,
                text=True,
                timeout=120,
                env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            )
            elapsed = time.perf_counter() - started
            with self.lock:
                if result.returncode == 0:
                    self.clones.append(elapsed)
                else:
                    self.failures.append(f"clone: {result.stderr.strip()[-200:]}")
            for path in paths:
                if time.monotonic() >= deadline:
                    break
                started = time.perf_counter()
                try:
                    connection = http.client.HTTPConnection(
                        address.hostname, address.port, timeout=60
                    )
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                    connection.close()
                    ok = response.status == 200
                    problem = f"GET {path}: {response.status}"
                except OSError as error:
                    ok, problem = False, f"GET {path}: {error}"
                elapsed = time.perf_counter() - started
                with self.lock:
                    if ok:
                        self.pages.append(elapsed)
                    else:
                        self.failures.append(problem)
        shutil.rmtree(target, ignore_errors=True)


class Streams:
    """Holds ``count`` SSE connections open, like browsers on the publication page."""

    def __init__(self, base: str, events_path: str, count: int) -> None:
        self.base, self.events_path, self.count = base, events_path, count
        self.open = 0
        self.lines = 0
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for number in range(self.count):
            thread = threading.Thread(target=self.hold, args=(number,), daemon=True)
            thread.start()
            self.threads.append(thread)
        deadline = time.monotonic() + 60
        while self.open + len(self.failures) < self.count and time.monotonic() < deadline:
            time.sleep(0.1)

    def hold(self, number: int) -> None:
        source = (f"127.0.0.{2 + number % 50}", 0)  # 50 client addresses, 4 streams each
        hub = urlsplit(self.base)
        try:
            first = http.client.HTTPConnection(
                hub.hostname, hub.port, timeout=30, source_address=source
            )
            first.request("GET", self.events_path)
            redirect = first.getresponse()
            redirect.read()
            first.close()
            if redirect.status != 307:
                raise OSError(f"events URL answered {redirect.status}")
            target = urlsplit(redirect.getheader("Location"))
            stream = http.client.HTTPConnection(
                target.hostname, target.port, timeout=30, source_address=source
            )
            stream.request("GET", f"{target.path}?{target.query}")
            response = stream.getresponse()
            if response.status != 200:
                raise OSError(f"stream answered {response.status}")
        except OSError as error:
            with self.lock:
                self.failures.append(f"stream {number}: {error}")
            return
        with self.lock:
            self.open += 1
        try:
            while not self.stop.is_set():
                line = response.fp.readline()
                if not line:
                    raise OSError("the stream closed early")
                if line.startswith(b"event: line"):
                    with self.lock:
                        self.lines += 1
        except OSError as error:
            if not self.stop.is_set():
                with self.lock:
                    self.failures.append(f"stream {number}: {error}")
        finally:
            with self.lock:
                self.open -= 1
            stream.close()


def server_memory(processes: list[subprocess.Popen]) -> int:
    total = 0
    for process in processes:
        try:
            parent = psutil.Process(process.pid)
            total += sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])
        except psutil.NoSuchProcess:
            pass
    return total


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--seconds", type=float, default=60)
    options.add_argument("--streams", type=int, default=200)
    options.add_argument("--clients", type=int, default=20)
    args = options.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from modules import services as module_services
    from modules.file_templates import TEMPLATES
    from publishing.logs import PublicationLog
    from publishing.models import BaseEnvironment, Publication

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("soak", "s@example.com", "soak-password-1")
    module = module_services.create_module(user, name="Soak", kind="model", data_types=["any"])
    module.repository.commit_files(
        "master",
        {"train.py": TEMPLATES["model"].render().encode(), "README.md": b"# Soak\n" * 50},
        "Add code",
        "Soak",
        "s@example.com",
    )
    environment = BaseEnvironment.objects.create(name="py", image="x", python_version="3.11")
    publication = Publication.objects.create(
        module=module,
        version=1,
        commit_sha=module.repository.resolve("master"),
        entrypoint="train.py",
        base_environment=environment,
        builder="soak",
        status="building",
    )
    from mlreef import gunicorn_conf

    # As ``manage.py serve`` runs it: gunicorn's own number of workers, not the tests' one.
    hub = harness.start_hub(
        WORK,
        WEB_WORKERS=str(gunicorn_conf.workers),
        GUNICORN_CMD_ARGS="--access-logfile /dev/null",
    )
    servers = [hub.process, hub.stream_process]
    base = hub.url
    stop_writing = threading.Event()

    def write_log() -> None:
        writer = PublicationLog(publication, check_cancel=False)
        number = 0
        while not stop_writing.wait(0.5):
            number += 1
            writer.write(f"build output line {number}")

    try:
        writer = threading.Thread(target=write_log, daemon=True)
        writer.start()
        module_path = f"/{module.namespace}/{module.slug}"
        Load(base, module_path, 2, 3).run()  # warm up: imports, first connections

        baseline = Load(base, module_path, args.clients, args.seconds)
        baseline.run()

        streams = Streams(base, f"{module_path}/publications/1/events/", args.streams)
        memory_before = server_memory(servers)
        streams.start()
        opened = streams.open
        soak = Load(base, module_path, args.clients, args.seconds)
        soak.run()
        memory_after = server_memory(servers)
        still_open, lines = streams.open, streams.lines
        streams.stop.set()
    finally:
        stop_writing.set()
        hub.stop()

    def row(name: str, base_values: list[float], soak_values: list[float]) -> None:
        b50, b99 = percentile(base_values, 0.5), percentile(base_values, 0.99)
        s50, s99 = percentile(soak_values, 0.5), percentile(soak_values, 0.99)
        print(
            f"  {name:6} p50 {b50 * 1000:7.0f} ms -> {s50 * 1000:7.0f} ms ({s50 / b50:4.2f}x)   "
            f"p99 {b99 * 1000:7.0f} ms -> {s99 * 1000:7.0f} ms ({s99 / b99:4.2f}x)   "
            f"n={len(base_values)}/{len(soak_values)}"
        )

    print(
        f"{args.clients} clients cloning and browsing for {args.seconds:.0f} s, "
        f"without streams -> with {args.streams} open log streams"
    )
    row("pages", baseline.pages, soak.pages)
    row("clones", baseline.clones, soak.clones)
    print(
        f"  streams: {opened} opened, {still_open} still open at the end, "
        f"{lines} log lines delivered ({lines / max(opened, 1):.0f} per stream)"
    )
    growth = (memory_after - memory_before) / 1024**2
    print(
        f"  server memory (gunicorn + stream server): {memory_before / 1024**2:.0f} MiB -> "
        f"{memory_after / 1024**2:.0f} MiB ({growth:+.0f} MiB)"
    )
    failures = baseline.failures + soak.failures + streams.failures
    print(f"  failed requests: {len(failures)}")
    for failure in failures[:10]:
        print(f"    {failure}")
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
