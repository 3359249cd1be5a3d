"""The dependency layer: wheels only, installed on the worker for the base image's Python.

``pip install --only-binary=:all: --target … --platform … --python-version … --implementation cp``
unpacks wheels and never runs a package's code, so an sdist whose ``setup.py`` would reach the
network or the hub's services has no way to run. A requirement that has no fitting wheel is the
module's problem: the error names the package and says what to do.

The finished layer is cached on the worker, keyed by everything that decides its content
(requirements bytes, base image digest, Python version, platform, package index), so a
code-only republish neither runs pip nor uploads the layer again.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings

from ...oci.layers import Blob, canonical_json, write_layer
from ..base import BuildPlatformError, BuildUserError, LogFunction

DEPS_PATH = "opt/mlreef/deps"
SHIM_PATH = "opt/mlreef/bin"
# The newest glibc the supported bases carry (Debian bookworm: 2.36); manylinux wheels up to it fit.
MANYLINUX_GLIBC = 36
ARCHITECTURES = {"amd64": "x86_64", "arm64": "aarch64"}
LAYOUT_VERSION = 1  # bump when the layer's layout changes, to invalidate cached layers
# Bases without a ``python`` command get one (PATH puts it after the base's own directories).
PYTHON_SHIM = '#!/bin/sh\nexec python3 "$@"\n'


@dataclass(frozen=True)
class Target:
    """What the wheels must fit: the base image's Python and platform."""

    python_version: str
    architecture: str  # OCI name: amd64, arm64

    @property
    def platforms(self) -> list[str]:
        arch = ARCHITECTURES.get(self.architecture)
        if arch is None:
            raise BuildPlatformError(f"No wheel platform is known for {self.architecture}.")
        tags = [f"manylinux_2_{minor}_{arch}" for minor in range(MANYLINUX_GLIBC, 4, -1)]
        return [*tags, f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]

    def describe(self) -> str:
        return f"CPython {self.python_version} on linux/{self.architecture}"


def cache_key(requirements: bytes, base_digest: str, target: Target) -> str:
    material = {
        "requirements": hashlib.sha256(requirements).hexdigest(),
        "base": base_digest,
        "python": target.python_version,
        "platforms": target.platforms,
        "index": settings.BUILD_PIP_INDEX_URL,
        "extra_index": settings.BUILD_PIP_EXTRA_INDEX_URL,
        "layout": LAYOUT_VERSION,
    }
    return hashlib.sha256(canonical_json(material)).hexdigest()


class LayerCache:
    """Finished dependency layers on the worker's disk: ``<key>.tar.gz`` + ``<key>.json``.

    Entries are written under a temporary name and renamed, so two builds of the same key
    never see half a file; both produce the same bytes anyway.
    """

    def __init__(self, root: Path) -> None:
        self.root = root / "dependency-layers"
        self.root.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> Blob | None:
        meta, blob = self.root / f"{key}.json", self.root / f"{key}.tar.gz"
        if not (meta.is_file() and blob.is_file()):
            return None
        import json

        info = json.loads(meta.read_text())
        if blob.stat().st_size != info["size"]:
            return None
        return Blob(blob, info["digest"], info["size"], info["media_type"], info["diff_id"])

    def put(self, key: str, layer: Blob) -> Blob:
        blob = self.root / f"{key}.tar.gz"
        temporary = self.root / f".{key}.{os.getpid()}.tmp"
        shutil.copyfile(layer.path, temporary)
        os.replace(temporary, blob)
        meta_tmp = self.root / f".{key}.{os.getpid()}.json.tmp"
        meta_tmp.write_bytes(canonical_json(layer.as_json()))
        os.replace(meta_tmp, self.root / f"{key}.json")
        return Blob(blob, layer.digest, layer.size, layer.media_type, layer.diff_id)


def has_requirements(text: str) -> bool:
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        if stripped:
            return True
    return False


def build_layer(
    code_dir: Path,
    requirements_path: str,
    target: Target,
    workdir: Path,
    epoch: int,
    log: LogFunction,
) -> Blob:
    """Install the requirements' wheels into a folder and tar it (no cache involved)."""
    root = workdir / "deps-root"
    install_dir = root / "deps"
    install_dir.mkdir(parents=True)
    requirements = code_dir / requirements_path
    if has_requirements(requirements.read_text(errors="replace")):
        _pip_install(code_dir, requirements, target, install_dir, workdir, log)
    else:
        log(f"{requirements_path} lists no packages: the dependency layer holds no packages")
    shim_dir = root / "bin"
    shim_dir.mkdir()
    (shim_dir / "python").write_text(PYTHON_SHIM)
    (shim_dir / "python").chmod(0o755)
    return write_layer(
        [(install_dir, DEPS_PATH), (shim_dir, SHIM_PATH)], workdir / "deps.tar.gz", epoch
    )


def pip_environment(workdir: Path) -> dict[str, str]:
    """pip's settings from the hub's: they live in the worker's environment, never the image."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PIP_") and key not in ("PYTHONPATH",)
    }
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PIP_CACHE_DIR": str(Path(settings.BUILD_CACHE_DIR) / "pip"),
            "TMPDIR": str(workdir),
        }
    )
    if settings.BUILD_PIP_INDEX_URL:
        env["PIP_INDEX_URL"] = settings.BUILD_PIP_INDEX_URL
    if settings.BUILD_PIP_EXTRA_INDEX_URL:
        env["PIP_EXTRA_INDEX_URL"] = settings.BUILD_PIP_EXTRA_INDEX_URL
    if settings.BUILD_CA_BUNDLE:
        env["PIP_CERT"] = settings.BUILD_CA_BUNDLE
    return env


def _pip_install(
    code_dir: Path,
    requirements: Path,
    target: Target,
    install_dir: Path,
    workdir: Path,
    log: LogFunction,
) -> None:
    _run_pip(
        ["install", "--no-compile", "--no-warn-script-location", "--target", str(install_dir)],
        code_dir,
        requirements,
        target,
        workdir,
        log,
    )


def download_wheels(
    code_dir: Path,
    requirements_path: str,
    target: Target,
    wheelhouse: Path,
    workdir: Path,
    log: LogFunction,
) -> None:
    """Resolve and download the requirements as wheels into ``wheelhouse`` (for the Docker
    builder, whose build then installs them with no network)."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    requirements = code_dir / requirements_path
    if not has_requirements(requirements.read_text(errors="replace")):
        log(f"{requirements_path} lists no packages")
        return
    _run_pip(["download", "--dest", str(wheelhouse)], code_dir, requirements, target, workdir, log)


def cached_wheelhouse(
    code_dir: Path,
    requirements_path: str,
    target: Target,
    wheelhouse: Path,
    workdir: Path,
    log: LogFunction,
) -> None:
    """``download_wheels`` through a per-worker cache keyed like the dependency layer."""
    requirements = (code_dir / requirements_path).read_bytes()
    key = cache_key(requirements, "wheelhouse", target)
    cached = Path(settings.BUILD_CACHE_DIR) / "wheelhouses" / key
    if cached.is_dir():
        shutil.copytree(cached, wheelhouse)
        log("Wheels reused from the cache (pip not run)")
        return
    download_wheels(code_dir, requirements_path, target, wheelhouse, workdir, log)
    cached.parent.mkdir(parents=True, exist_ok=True)
    temporary = cached.parent / f".{key}.{os.getpid()}.tmp"
    shutil.copytree(wheelhouse, temporary)
    try:
        os.rename(temporary, cached)  # a concurrent build may have put the same wheels first
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)


def _run_pip(
    verb: list[str],
    code_dir: Path,
    requirements: Path,
    target: Target,
    workdir: Path,
    log: LogFunction,
) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        *verb,
        "--only-binary=:all:",
        "--python-version",
        target.python_version,
        "--implementation",
        "cp",
        *[arg for platform in target.platforms for arg in ("--platform", platform)],
        "-r",
        str(requirements),
    ]
    log(
        f"pip {verb[0]} --only-binary=:all: -r {requirements.relative_to(code_dir)} "
        f"(on the worker: wheels for {target.describe()}; no package code runs)",
        important=True,
    )
    output: list[str] = []
    process = subprocess.Popen(
        command,
        cwd=code_dir,
        env=pip_environment(workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            log(line.rstrip("\n"))  # raises Cancelled when a user cancels
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    if process.returncode != 0:
        raise _explain_failure("".join(output), target)


def _explain_failure(output: str, target: Target) -> Exception:
    missing = re.search(r"No matching distribution found for ([^\s]+)", output)
    if missing:
        requirement = missing.group(1)
        return BuildUserError(diagnose(requirement, target))
    if "Could not fetch URL" in output or "ConnectionError" in output or "ProxyError" in output:
        return BuildPlatformError("pip could not reach the package index; its error is in the log.")
    return BuildUserError("Installing the requirements failed; pip's error is in the log.")


def _project_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    return match.group(0) if match else requirement


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _index_files(name: str) -> list[str] | None:
    """File names the package index lists for ``name``; None when it does not know it."""
    index = settings.BUILD_PIP_INDEX_URL or "https://pypi.org/simple/"
    url = index.rstrip("/") + f"/{_normalize(name)}/"
    parsed = urllib.parse.urlsplit(url)
    try:
        if parsed.scheme == "file":
            folder = Path(urllib.parse.unquote(parsed.path))
            page = folder / "index.html"
            if not page.is_file():
                return None
            text = page.read_text()
        else:
            response = requests.get(
                url,
                timeout=20,
                verify=settings.BUILD_CA_BUNDLE or True,
                headers={"Accept": "text/html"},
            )
            if response.status_code == 404:
                return None
            response.raise_for_status()
            text = response.text
    except (OSError, requests.RequestException):
        return []
    return [
        urllib.parse.unquote(href.split("#", 1)[0].rsplit("/", 1)[-1])
        for href in re.findall(r'href="([^"]+)"', text)
    ]


def diagnose(requirement: str, target: Target) -> str:
    """Say why pip found nothing for ``requirement``, and what the module's author can do."""
    name = _project_name(requirement)
    files = _index_files(name)
    if files is None:
        return (
            f"The requirement '{requirement}' does not exist on the package index: check the "
            f"name in the requirements file."
        )
    wheels = [f for f in files if f.endswith(".whl")]
    sources = [f for f in files if f.endswith((".tar.gz", ".zip", ".tar.bz2"))]
    if files and not wheels and sources:
        return (
            f"'{name}' is published only as a source distribution (sdist), and builds install "
            f"wheels only, so that no package code runs at build time. Ask its authors to "
            f"publish a wheel, pin a version of '{name}' that has one, or use another package."
        )
    tag = "cp" + target.python_version.replace(".", "")
    fitting = [w for w in wheels if tag in w or "py3-none" in w or "abi3" in w]
    if wheels and not fitting:
        return (
            f"'{name}' has no wheel for {target.describe()} ({requirement}): pin a version "
            f"that publishes one for Python {target.python_version}, or choose a base "
            f"environment with a Python it supports."
        )
    return (
        f"No wheel of '{requirement}' fits {target.describe()}: pin a version that has a "
        f"wheel for this Python and platform (builds install wheels only; source "
        f"distributions are refused so that no package code runs at build time)."
    )


def workdir_for(parent: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix="deps-", dir=parent))
