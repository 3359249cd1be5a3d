"""Fuzz the parameter reader: N generated hostile scripts through the child process.

Each script (tests/reader_fuzz.py: deep nesting, huge literals, big loops, recursion, format
widths, odd encodings) is read exactly as a web request or a build reads it: in a child process
with the real wall-time and memory limits. Prints how many were read, refused with a clear error,
stopped by a limit, or crashed, and the wall time and memory of the children.

    python bench/fuzz_reader.py [--count 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publishing.reader import (  # noqa: E402
    EntrypointError,
    ReaderLimitError,
    read_entrypoint_isolated,
)
from publishing.reader.sandbox import READ_MEMORY, READ_TIMEOUT  # noqa: E402
from tests.reader_fuzz import write  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--count", type=int, default=2000)
    options.add_argument("--seed", type=int, default=0)
    arguments = options.parse_args()

    counts = {"read": 0, "refused": 0, "stopped by a limit": 0, "crashed": 0}
    walls: list[float] = []
    cpus: list[float] = []  # CPU time of each child: what the file costs, whatever the load
    examples: dict[str, list[str]] = {key: [] for key in counts}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(arguments.seed, arguments.seed + arguments.count):
            target = Path(folder) / str(seed)
            write(target, seed)
            before = time.perf_counter()
            cpu_before = _children_cpu()
            try:
                read_entrypoint_isolated("train.py", target)
                outcome = "read"
            except ReaderLimitError as error:
                outcome, detail = "stopped by a limit", str(error)
            except EntrypointError as error:
                outcome, detail = "refused", str(error)
            except Exception as error:  # noqa: BLE001 - counted, that is the point
                outcome, detail = "crashed", repr(error)
            walls.append(time.perf_counter() - before)
            cpus.append(_children_cpu() - cpu_before)
            counts[outcome] += 1
            if outcome != "read" and len(examples[outcome]) < 3:
                examples[outcome].append(f"seed {seed}: {detail[:110]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    walls.sort()
    cpus.sort()
    print(
        f"{arguments.count} hostile scripts, limits {READ_TIMEOUT:g} s and "
        f"{READ_MEMORY // 2**20} MiB per read, {time.perf_counter() - started:.0f} s in all"
    )
    for outcome, number in counts.items():
        print(f"  {outcome:20} {number:5}")
        for example in examples[outcome]:
            print(f"      {example}")
    print(
        f"  wall time per read   median {statistics.median(walls) * 1e3:.0f} ms, "
        f"p99 {walls[int(len(walls) * 0.99) - 1] * 1e3:.0f} ms, max {walls[-1] * 1e3:.0f} ms"
    )
    print(
        f"  CPU time per read    median {statistics.median(cpus) * 1e3:.0f} ms, "
        f"p99 {cpus[int(len(cpus) * 0.99) - 1] * 1e3:.0f} ms, max {cpus[-1] * 1e3:.0f} ms"
        f"   (load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(
        f"  children             CPU {children.ru_utime + children.ru_stime:.1f} s in all, "
        f"largest resident set {children.ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
