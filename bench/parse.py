"""Benchmark the static parameter reader.

Prints the median time per file over the test corpus (tests/argparse_corpus) and for a generated
5,000-argument file, next to two baselines measured in the same run: ``ast.parse`` alone (the
floor: reading can't be faster than parsing) and capturing argparse at run time by executing the
script in a subprocess (what runtime-capture tools pay, and what we refuse to do on the server).

    python bench/parse.py [--repeat N]
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlreef.settings")

from publishing.reader import read_entrypoint  # noqa: E402

CORPUS = ROOT / "tests" / "argparse_corpus"


def timed(function, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def generated_file(folder: Path, count: int = 5000) -> Path:
    lines = ["import argparse", "p = argparse.ArgumentParser()"]
    lines += [
        f"p.add_argument('--arg-{i}', type=int, default={i}, help='number {i}')"
        for i in range(count)
    ]
    path = folder / "big.py"
    path.write_text("\n".join([*lines, "p.parse_args()"]))
    return path


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--repeat", type=int, default=20)
    repeat = options.parse_args().repeat

    scripts = sorted(CORPUS.glob("*/train.py"))
    reader, parse_only, runtime = [], [], []
    for script in scripts:
        reader.append(timed(lambda s=script: read_entrypoint(s, s.parent), repeat))
        source = script.read_text()
        parse_only.append(timed(lambda src=source: ast.parse(src), repeat))
        runtime.append(
            timed(
                lambda s=script: subprocess.run(
                    [sys.executable, str(ROOT / "tests" / "argparse_truth.py"), str(s)],
                    capture_output=True,
                    check=True,
                    cwd=s.parent,
                ),
                max(3, repeat // 5),
            )
        )
    print(f"corpus: {len(scripts)} files, {repeat} runs each")
    print(f"  static reader        median {statistics.median(reader) * 1e3:8.2f} ms/file")
    print(
        f"  ast.parse alone      median {statistics.median(parse_only) * 1e3:8.2f} ms/file"
        f"   (reader / parse = {statistics.median(reader) / statistics.median(parse_only):.1f}x)"
    )
    print(
        f"  run-time capture     median {statistics.median(runtime) * 1e3:8.2f} ms/file"
        f"   (capture / reader = {statistics.median(runtime) / statistics.median(reader):.0f}x)"
    )

    with tempfile.TemporaryDirectory() as folder:
        big = generated_file(Path(folder))
        source = big.read_text()
        big_reader = timed(lambda: read_entrypoint(big, big.parent), max(3, repeat // 4))
        big_parse = timed(lambda: ast.parse(source), max(3, repeat // 4))
    print("generated file: 5,000 arguments")
    print(f"  static reader        median {big_reader * 1e3:8.1f} ms")
    print(
        f"  ast.parse alone      median {big_parse * 1e3:8.1f} ms"
        f"   (reader / parse = {big_reader / big_parse:.2f}x)"
    )


if __name__ == "__main__":
    main()
