"""Getting a commit's files onto the build worker, with or without the hub's disk.

On the hub's own machine the bare repository is read directly. A worker elsewhere (its own empty
DATA_DIR, a Kubernetes pod) fetches just that commit over the hub's git HTTP with a short-lived
internal credential that can read this one repository and nothing else; the credential travels
in the environment, never on a command line or in a URL.
"""

from __future__ import annotations

import base64
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from accounts.internal import issue_internal_token
from modules.models import Module
from modules.repository import RepositoryError

FETCH_TTL_SECONDS = 600


class ExportError(RepositoryError):
    """The commit cannot be written to disk as it is; the message tells the user what to fix."""


@dataclass
class Checkout:
    dropped: list[str]  # symlinks left out because they point outside the repository
    epoch: int  # the commit time, SOURCE_DATE_EPOCH of the image
    fetched_from: str = ""  # the hub URL when fetched over HTTP


def _git(git_dir: Path, *args: str, env: dict | None = None) -> str:
    result = subprocess.run(
        [settings.GIT_BINARY, "--git-dir", str(git_dir), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if result.returncode != 0:
        raise RepositoryError(f"git {args[0]} failed: {result.stderr.strip()}")
    return result.stdout


def hub_url() -> str:
    return (settings.BUILD_HUB_URL or settings.PUBLIC_URL or "http://127.0.0.1:8000").rstrip("/")


def fetch_over_http(module: Module, sha: str, git_dir: Path) -> None:
    """Fetch one commit (depth 1) of ``module`` from the hub into a new bare repository."""
    token = issue_internal_token(
        module.owner, [module.credential_resource], ("read",), ttl_seconds=FETCH_TTL_SECONDS
    )
    basic = base64.b64encode(f"mlreef-build:{token}".encode()).decode()
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(git_dir),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }
    subprocess.run([settings.GIT_BINARY, "init", "-q", "--bare", str(git_dir)], check=True, env=env)
    url = f"{hub_url()}{module.clone_path()}"
    _git(git_dir, "-c", "protocol.version=2", "fetch", "-q", "--depth=1", url, sha, env=env)


def export(git_dir: Path, sha: str, target: Path) -> Checkout:
    """Write the files of ``sha`` (no .git) to ``target``; drop symlinks leaving the tree."""
    target.mkdir(parents=True, exist_ok=True)
    # Streamed from git into tar: a large repository never sits in memory.
    process = subprocess.Popen(
        [settings.GIT_BINARY, "--git-dir", str(git_dir), "archive", sha],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as tar:
            tar.extractall(target, filter="tar")
    except (OSError, tarfile.TarError) as error:
        # The commit's content is at fault (a name too long for the file system, a path
        # tar refuses): the user must change it, so this is their error, not the platform's.
        name = getattr(error, "filename", None) or ""
        detail = getattr(error, "strerror", None) or str(error)
        where = f" ({Path(str(name)).name[:80]}…)" if name else ""
        raise ExportError(
            f"The files of commit {sha[:10]} cannot be written out: {detail}{where}. "
            "Rename or remove that file and push again."
        ) from None
    finally:
        if process.poll() is None and process.stdout is not None:
            process.stdout.read()  # let git finish writing whatever tar did not need
    if process.wait() != 0:
        raise RepositoryError(f"git archive {sha[:10]} failed: {process.stderr.read().decode()}")
    dropped = []
    root = target.resolve()
    for path in sorted(target.rglob("*")):
        if path.is_symlink():
            resolved = path.resolve()
            if not resolved.is_relative_to(root):
                dropped.append(path.relative_to(target).as_posix())
                path.unlink()
    epoch = int(_git(git_dir, "show", "-s", "--format=%ct", sha).strip())
    return Checkout(dropped, epoch)


def checkout(module: Module, sha: str, target: Path, remote: bool | None = None) -> Checkout:
    """The commit's files in ``target``: from the local repository when this machine has it,
    otherwise fetched over HTTP (``remote`` forces either way)."""
    if remote is None:
        remote = not (module.repository_path / "HEAD").is_file()
    if not remote:
        return export(module.repository_path, sha, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fetch-", dir=target.parent) as tmp:
        git_dir = Path(tmp) / "repo.git"
        fetch_over_http(module, sha, git_dir)
        result = export(git_dir, sha, target)
        result.fetched_from = f"{hub_url()}{module.clone_path()}"
        return result
