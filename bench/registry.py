"""Benchmark the hub's built-in registry against Debian's distribution registry, in one run.

Builds a ~500 MB image of several layers (random bytes, so compression and de-duplication
flatter neither side), then with the real Docker engine pushes it to and pulls it from the
hub's registry (gunicorn, token authentication, as deployed) and a plain `docker-registry`,
alternating the two, and prints the times and the ratios. Before each timed step the page cache
is flushed (``sync``): building, pushing and pulling write ~500 MB each, and without it the
kernel's writeback of one step lands in whichever step comes next, so the side that happened to
go second was charged for the other's disk writes. Finally it uploads one 1 GiB blob to
the hub (streamed PATCH, then a monolithic POST) while sampling the resident memory of the
gunicorn processes, and prints the peak growth.

Targets (issue 7): within 1.2x of the distribution registry both ways; memory growth < 50 MB.
Needs a Docker engine (DOCKER_HOST), the docker CLI and docker-registry; it uses a throw-away
DATA_DIR and its own servers.

    python bench/registry.py [--layers 5] [--layer-mb 100] [--rounds 4]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import threading
import time

import harness

WORK = harness.isolate("mlreef-bench-registry-")
PASSWORD = "bench-password-7"


def start_hub() -> tuple[harness.LiveHub, str]:
    """The hub as deployed: two gunicorn workers (the default), token authentication."""
    served = harness.start_hub(WORK, WEB_WORKERS="2", LOG_LEVEL="WARNING")
    return served, served.url.removeprefix("http://")


def docker(*args: str, stdin: str | None = None) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        ["docker", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_CONFIG": str(WORK / "docker-config")},
    )
    if result.returncode != 0:
        raise SystemExit(f"docker {' '.join(args)} failed: {result.stderr}")
    return time.perf_counter() - started


def build_image(layers: int, layer_mb: int, round_number: int) -> str:
    context = WORK / "context"
    context.mkdir()
    lines = ["FROM scratch"]
    for index in range(layers):
        folder = context / f"layer{index}"
        folder.mkdir()
        with (folder / "data.bin").open("wb") as handle:
            for _ in range(layer_mb):
                handle.write(os.urandom(1024 * 1024))
        lines.append(f"COPY layer{index}/ /layer{index}/")
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    tag = f"mlreef-bench/registry:{os.getpid()}-{round_number}"
    docker("build", "-q", "-t", tag, str(context))
    shutil.rmtree(context)
    return tag


def settle() -> None:
    """Write back dirty pages now, so no timed step pays for an earlier one's writes."""
    subprocess.run(["sync"], check=False)


def push_pull(local: str, target: str) -> tuple[float, float]:
    docker("tag", local, target)
    settle()
    push = docker("push", target)
    docker("rmi", target)
    docker("rmi", local)  # the layers go too, so the pull downloads them all
    settle()
    pull = docker("pull", target)
    docker("tag", target, local)
    docker("rmi", target)
    return push, pull


class MemorySampler(threading.Thread):
    """Sums the resident memory of the gunicorn master and workers every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def rss(self) -> int:
        processes = [self.root, *self.root.children(recursive=True)]
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except Exception:  # noqa: BLE001 - a worker that just exited
                pass
        return total

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.rss())
            time.sleep(0.02)


def upload_gib(hub: str, name: str, auth: tuple[str, str], pid: int) -> tuple[int, int]:
    import requests

    size = 1024**3
    block = os.urandom(1024 * 1024)
    digest = hashlib.sha256()
    for _ in range(size // len(block)):
        digest.update(block)
    expected = f"sha256:{digest.hexdigest()}"

    def body():
        for _ in range(size // len(block)):
            yield block

    class Sized:
        """The same bytes as a file-like object of known length: sent with Content-Length."""

        def __init__(self) -> None:
            self.sent = 0

        def __len__(self) -> int:
            return size - self.sent

        def read(self, amount: int = -1) -> bytes:
            if self.sent >= size:
                return b""
            start = self.sent % len(block)
            want = min(len(block) - start, size - self.sent, amount if amount > 0 else size)
            chunk = block[start : start + want]
            self.sent += len(chunk)
            return chunk

    token = requests.get(
        f"http://{hub}/v2/token",
        params={"service": "mlreef-registry", "scope": f"repository:{name}:pull,push"},
        auth=auth,
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    growth = []
    for mode in ("streamed", "monolithic"):
        sampler = MemorySampler(pid)
        time.sleep(0.5)
        baseline = sampler.rss()
        sampler.start()
        if mode == "streamed":
            start = requests.post(f"http://{hub}/v2/{name}/blobs/uploads/", headers=headers)
            location = start.headers["Location"]
            patched = requests.patch(f"http://{hub}{location}", data=body(), headers=headers)
            done = requests.put(
                f"http://{hub}{patched.headers['Location']}",
                params={"digest": expected},
                headers=headers,
            )
        else:
            requests.delete(f"http://{hub}/v2/{name}/blobs/{expected}", headers=headers)
            done = requests.post(
                f"http://{hub}/v2/{name}/blobs/uploads/",
                params={"digest": expected},
                data=Sized(),
                headers=headers,
            )
        sampler.running = False
        sampler.join()
        if done.status_code != 201:
            raise SystemExit(f"{mode} upload failed: {done.status_code} {done.text}")
        growth.append(sampler.peak - baseline)
    return growth[0], growth[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--layer-mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4, help="each side goes first in half")
    options = parser.parse_args()
    for tool in ("docker", "docker-registry"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool}")

    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from modules import services

    call_command("migrate", verbosity=0)
    admin = User.objects.create_superuser("bench", "bench@example.com", PASSWORD)
    module = services.create_module(
        admin, name="Image", slug="image", kind="model", data_types=["any"], visibility="private"
    )
    served, hub = start_hub()
    distribution_server = harness.registry(WORK, "distribution")
    distribution = distribution_server.host
    local = ""
    try:
        docker("login", hub, "-u", admin.username, "--password-stdin", stdin=PASSWORD)
        times: dict[str, list[tuple[float, float]]] = {"hub": [], "distribution": []}
        sides = [("hub", hub), ("distribution", distribution)]
        for round_number in range(options.rounds):
            # Fresh random layers each round, so no registry already holds them (the engine
            # would otherwise skip or mount them); the order alternates between rounds.
            print(f"Building a {options.layers} x {options.layer_mb} MB image ...", flush=True)
            local = build_image(options.layers, options.layer_mb, round_number)
            for side, host in sides if round_number % 2 == 0 else sides[::-1]:
                target = f"{host}/{module.full_name}:r{round_number}"
                push, pull = push_pull(local, target)
                times[side].append((push, pull))
                print(
                    f"  round {round_number + 1} {side:>12}: push {push:6.1f} s  pull {pull:6.1f} s"
                )
            subprocess.run(["docker", "rmi", "-f", local], capture_output=True)
            local = ""
        hub_push = statistics.median(p for p, _ in times["hub"])
        hub_pull = statistics.median(p for _, p in times["hub"])
        dist_push = statistics.median(p for p, _ in times["distribution"])
        dist_pull = statistics.median(p for _, p in times["distribution"])
        total = options.layers * options.layer_mb
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"\n{total} MB image, {options.layers} layers, median of {options.rounds} rounds")
        print(f"load average at the end (1, 5, 15 min): {load}")
        print(f"{'':14}{'hub':>10}{'distribution':>14}{'ratio':>8}   (target <= 1.20)")
        print(f"{'push':14}{hub_push:9.1f}s{dist_push:13.1f}s{hub_push / dist_push:8.2f}")
        print(f"{'pull':14}{hub_pull:9.1f}s{dist_pull:13.1f}s{hub_pull / dist_pull:8.2f}")
        # The two sides of one round run back to back on the same image, so they share the
        # machine's load at that moment; the median of those paired ratios is steadier than the
        # ratio of medians when other work on the machine comes and goes between rounds.
        for index, what in enumerate(("push", "pull")):
            paired = [
                ours[index] / theirs[index]
                for ours, theirs in zip(times["hub"], times["distribution"], strict=True)
            ]
            listed = " ".join(f"{ratio:.2f}" for ratio in paired)
            print(f"{what} ratio per round: {listed}  (median {statistics.median(paired):.2f})")
        streamed, monolithic = upload_gib(
            hub, module.full_name, (admin.username, PASSWORD), served.process.pid
        )
        print("\nHub peak memory growth during a 1 GiB blob upload (target < 50 MB):")
        print(f"  streamed PATCH (chunked) {streamed / 2**20:7.1f} MB")
        print(f"  monolithic POST          {monolithic / 2**20:7.1f} MB")
    finally:
        if local:
            subprocess.run(["docker", "rmi", "-f", local], capture_output=True)
        served.stop()
        distribution_server.stop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
