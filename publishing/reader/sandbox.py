"""Run the reader in a child process with a wall-time and a memory limit.

The reader's budget (``budget``) keeps a read small, but the reader also runs inside web requests
(the publish wizard, starting a publication) and builds, where nothing a pushed file contains may
hold a thread for long or grow the server. So callers there read through
``read_entrypoint_isolated``: a fresh interpreter (``-I -S``: no site, no environment, standard
library only) limits its own address space and CPU time (2 s) with ``resource.setrlimit``. What a
file contains costs CPU time, so that is the limit a file meets; the wall-time limit (5x) is the
backstop for a starved machine, where a read waits for a CPU through no fault of the file (on an
idle machine the two coincide). A read stopped either way is the user's problem to fix (the file
is too heavy to read), so it is an ``EntrypointError`` with a message saying so.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from pathlib import Path

from .source import EntrypointError

logger = logging.getLogger(__name__)

READ_TIMEOUT = 2.0  # seconds of CPU time for one read, start-up included
READ_WALL_TIMEOUT = 10.0  # seconds of wall time: the backstop when the machine is overloaded
READ_MEMORY = 512 * 1024 * 1024  # bytes of address space for the child
WORKER = Path(__file__).with_name("worker.py")
EXIT_MEMORY = 3


class ReaderLimitError(EntrypointError):
    """The reader was stopped by its time or memory limit."""


def read_entrypoint_isolated(
    entrypoint: Path | str,
    repo_root: Path | str,
    *,
    timeout: float | None = None,
    memory: int | None = None,
    wall_timeout: float | None = None,
) -> dict:
    """``read_entrypoint`` in a child process; same result, same errors, bounded cost."""
    timeout = READ_TIMEOUT if timeout is None else timeout
    memory = READ_MEMORY if memory is None else memory
    wall_timeout = READ_WALL_TIMEOUT if wall_timeout is None else wall_timeout
    shown = _shown_name(Path(entrypoint), Path(repo_root))
    command = [sys.executable, "-I", "-S", str(WORKER), str(entrypoint), str(repo_root)]
    command += [str(memory), str(timeout)]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            timeout=wall_timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReaderLimitError(
            f"{shown}: reading its parameters took longer than {wall_timeout:g} s and was "
            "stopped; simplify the code that runs at import time (long loops, large constants)"
        ) from None
    if done.returncode == -signal.SIGXCPU:
        raise ReaderLimitError(
            f"{shown}: reading its parameters needed more than {timeout:g} s of CPU time and was "
            "stopped; simplify the code that runs at import time (long loops, large constants)"
        )
    if done.returncode == EXIT_MEMORY or b"MemoryError" in done.stderr:
        raise ReaderLimitError(
            f"{shown}: reading its parameters needed more than {memory // 2**20} MiB and was "
            "stopped; simplify the code that runs at import time (large constants)"
        )
    if done.returncode != 0:
        logger.error(
            "parameter reader exited with %s on %s: %s",
            done.returncode,
            shown,
            done.stderr.decode("utf-8", "replace")[-2000:],
        )
        raise ReaderLimitError(
            f"{shown}: the parameter reader stopped on this file (exit status "
            f"{done.returncode}); its time or memory limit may have been reached"
        )
    answer = json.loads(done.stdout)
    if "error" in answer:
        raise EntrypointError(answer["error"])
    return answer["result"]


def _shown_name(entrypoint: Path, root: Path) -> str:
    try:
        return entrypoint.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return entrypoint.name
