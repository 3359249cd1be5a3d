"""Benchmark the static parameter reader.

Prints the median time per file for each command-line style (tests/argparse_corpus and
tests/cli_corpus: argparse, click, typer, HfArgumentParser, absl, fire, jsonargparse; target
< 5 ms) and for a generated 5,000-argument file, next to two baselines measured in the same run:
``ast.parse`` alone (the floor: reading can't be faster than parsing) and capturing the
parameters at run time by executing the script with the real library in a subprocess (what
runtime-capture tools pay, and what we refuse to do on the server).

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
CLI_CORPUS = ROOT / "tests" / "cli_corpus"


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

    styles: dict[str, list[tuple[Path, list[str]]]] = {"argparse": []}
    for script in sorted(CORPUS.glob("*/train.py")):
        styles["argparse"].append((script, [str(ROOT / "tests" / "argparse_truth.py")]))
    for script in sorted(CLI_CORPUS.glob("*/train.py")):
        style = script.parent.name.split("_")[0]
        truth = [str(ROOT / "tests" / "cli_truth.py"), style]
        styles.setdefault(style, []).append((script, truth))
    print(f"median per file, {repeat} runs each (run-time capture: {max(3, repeat // 5)} runs)")
    print(f"  {'style':14} {'files':>5} {'reader':>9} {'ast.parse':>10} {'capture':>10}  target")
    for style, scripts in styles.items():
        reader, parse_only, runtime = [], [], []
        for script, truth in scripts:
            reader.append(timed(lambda s=script: read_entrypoint(s, s.parent), repeat))
            source = script.read_text()
            parse_only.append(timed(lambda src=source: ast.parse(src), repeat))
            runtime.append(
                timed(
                    lambda s=script, command=truth: subprocess.run(
                        [sys.executable, *command, str(s)],
                        capture_output=True,
                        check=True,
                        cwd=s.parent,
                    ),
                    max(3, repeat // 5),
                )
            )
        median, floor, capture = (statistics.median(x) for x in (reader, parse_only, runtime))
        print(
            f"  {style:14} {len(scripts):5} {median * 1e3:7.2f}ms "
            f"{floor * 1e3:8.2f}ms {capture * 1e3:8.0f}ms"
            f"  {'< 5 ms: met' if median < 0.005 else '< 5 ms: MISSED'}"
            f"  (reader / parse {median / floor:.1f}x, capture / reader {capture / median:.0f}x)"
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
