"""The child process of ``sandbox.read_entrypoint_isolated``; run as a script, not imported.

    python -I -S worker.py ENTRYPOINT REPO_ROOT MEMORY_BYTES TIMEOUT_SECONDS

It limits itself first (address space, CPU time, no file writes), then reads and prints one JSON
object: ``{"result": ...}`` or ``{"error": "..."}`` for a file that cannot be read.
"""

import json
import math
import resource
import sys
from pathlib import Path

EXIT_MEMORY = 3  # sandbox.EXIT_MEMORY


def limit_self(memory: int, timeout: float) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = max(1, math.ceil(timeout))  # SIGXCPU at the soft limit, a kill one second later
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def main() -> None:
    entrypoint, root, memory, timeout = sys.argv[1:5]
    limit_self(int(memory), float(timeout))
    # -I leaves the project off sys.path; the reader needs only the standard library.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from publishing.reader import EntrypointError, read_entrypoint

    try:
        answer = {"result": read_entrypoint(entrypoint, root)}
    except EntrypointError as error:
        answer = {"error": str(error)}
    except MemoryError:
        sys.exit(EXIT_MEMORY)
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
