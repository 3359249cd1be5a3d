"""Checks on a push before any ref moves (git's pre-receive hook; standard library only).

git runs it with the pushed objects in quarantine and the updates on stdin. It refuses:
files larger than MLREEF_MAX_FILE_SIZE, path components longer than 255 bytes (no file system
can check them out), and, unless MLREEF_MAY_REWRITE is "1", deleting or rewriting
(non-fast-forward) the branch named by MLREEF_PROTECTED_BRANCH, and pushes whose objects
would take the namespace past its storage quota (MLREEF_QUOTA_ROOM bytes left, measured on
the quarantined objects). Every refusal is printed, so
git shows the pusher all of them at once as "remote: ..." lines.
"""

from __future__ import annotations

import os
import subprocess
import sys

ZERO = "0" * 40
MAX_NAME_BYTES = 255
GIT = os.environ.get("MLREEF_GIT", "git")


def git(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([GIT, *args], input=stdin, capture_output=True, text=True)


def branch_problems(old: str, new: str, ref: str) -> list[str]:
    protected = os.environ.get("MLREEF_PROTECTED_BRANCH", "")
    if not protected or ref != f"refs/heads/{protected}":
        return []
    if os.environ.get("MLREEF_MAY_REWRITE") == "1":
        return []
    if new == ZERO:
        return [f"Deleting the default branch '{protected}' is not allowed."]
    if old != ZERO and git("merge-base", "--is-ancestor", old, new).returncode != 0:
        return [
            f"Rewriting the default branch '{protected}' (a non-fast-forward push) is not "
            "allowed; the module's owner can allow force pushes in its settings."
        ]
    return []


def object_problems(new_tips: list[str]) -> list[str]:
    if not new_tips:
        return []
    limit = int(os.environ.get("MLREEF_MAX_FILE_SIZE") or 0)
    listed = git("rev-list", "--objects", *new_tips, "--not", "--all")
    if listed.returncode != 0:
        return [f"Cannot list the pushed objects: {listed.stderr.strip()}"]
    problems = []
    paths = {}
    for line in listed.stdout.splitlines():
        sha, _, path = line.partition(" ")
        if path:
            paths[sha] = path
            for part in path.split("/"):
                if len(part.encode()) > MAX_NAME_BYTES:
                    problems.append(
                        f"'{path[:80]}…' has a name part longer than {MAX_NAME_BYTES} bytes."
                    )
                    break
    if limit and paths:
        checked = git(
            "cat-file",
            "--batch-check=%(objectname) %(objecttype) %(objectsize)",
            stdin="\n".join(paths) + "\n",
        )
        for line in checked.stdout.splitlines():
            sha, kind, size = (line.split() + ["", ""])[:3]
            if kind == "blob" and size.isdigit() and int(size) > limit:
                problems.append(
                    f"'{paths[sha]}' is {int(size)} bytes; the limit per file is {limit} bytes."
                )
    return problems


def directory_size(path: str | os.PathLike) -> int:
    """Bytes under ``path``; also the hub's measure of repository storage (modules.quota)."""
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                continue
    return total


def quota_problems() -> list[str]:
    room = os.environ.get("MLREEF_QUOTA_ROOM", "")
    quarantine = os.environ.get("GIT_QUARANTINE_PATH", "")
    if not room.isdigit() or not quarantine:
        return []
    incoming = directory_size(quarantine)
    if incoming <= int(room):
        return []
    namespace = os.environ.get("MLREEF_NAMESPACE", "")
    return [
        f"Storage quota exceeded: namespace '{namespace}' has {int(room)} bytes left and this "
        f"push adds {incoming} bytes. Delete data or ask an administrator for more space."
    ]


def main() -> int:
    problems: list[str] = []
    tips = []
    for line in sys.stdin:
        old, new, ref = (line.split() + ["", "", ""])[:3]
        problems += branch_problems(old, new, ref)
        if new and new != ZERO:
            tips.append(new)
    problems += object_problems(tips)
    problems += quota_problems()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
