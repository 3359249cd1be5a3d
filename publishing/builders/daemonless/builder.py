"""The daemonless builder: an image assembled from files and pushed through the registry API.

No Docker engine and no privileges: the base image is read from its registry, the dependency
layer is made of wheels unpacked by pip on the worker (no package code runs), the code layer is
the exported commit, and config and manifest are written as canonical JSON. Everything is
reproducible (see ``publishing.oci.layers``), so the same commit, requirements and base give the
same image digest on any worker. All state lives in this object and its temporary folder: two
builds never share a tag, a folder or a file, except finished cache entries renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from ...oci.client import (
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_MANIFEST,
    RegistryClient,
    RegistryError,
    RegistryUnreachable,
)
from ...oci.layers import Blob, canonical_json, write_json_blob, write_layer
from ...registry import PushTarget
from ..base import BuildPlatformError, BuildRequest, ImageBuilder, LogFunction
from . import base_image, dependencies

DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
APP_PATH = "app"
PROGRESS_STEP = 16 * 1024 * 1024


def registry_client(target: PushTarget | None = None) -> RegistryClient:
    """A client of the registry images are published to: with the build's short-lived push
    credentials (``BuildRequest.target``), else with the configured external account."""
    if target is not None:
        return RegistryClient(
            target.url,
            username=target.username,
            password=target.password,
            verify=settings.BUILD_CA_BUNDLE or True,
        )
    return RegistryClient(
        settings.REGISTRY_URL,
        username=settings.REGISTRY_USERNAME,
        password=settings.REGISTRY_PASSWORD,
        verify=settings.BUILD_CA_BUNDLE or True,
    )


def split_repository(repository: str) -> str:
    """``host:port/ns/slug`` -> ``ns/slug`` (the path the registry API wants)."""
    return repository.split("/", 1)[1]


@dataclass
class _Layer:
    blob: Blob
    mount_from: str = ""  # a repository of the target registry that already holds it
    remember_in: Path | None = None  # where to note the repository it was pushed to


@dataclass
class _Image:
    layers: list[_Layer] = field(default_factory=list)
    base_layers: list[dict] = field(default_factory=list)
    base_repository: str = ""
    config: Blob | None = None
    manifest: bytes = b""
    manifest_type: str = OCI_MANIFEST
    digest: str = ""
    pushed: bool = False


class DaemonlessBuilder(ImageBuilder):
    name = "daemonless"

    def __init__(self) -> None:
        self.client = registry_client()
        self.cache = dependencies.LayerCache(Path(settings.BUILD_CACHE_DIR))
        self.image = _Image()
        self._tmp: tempfile.TemporaryDirectory | None = None

    # -- build -------------------------------------------------------------------------------
    def build(self, request: BuildRequest, log: LogFunction) -> str:
        if request.target is not None:
            self.client.close()
            self.client = registry_client(request.target)
        self._tmp = tempfile.TemporaryDirectory(prefix="layers-", dir=request.context_dir)
        workdir = Path(self._tmp.name)
        log(f"Reading the base image {request.base_image}", important=True)
        base = base_image.resolve(request.base_image, self.client, log)
        log(f"Base image {base.repository}@{base.digest} ({len(base.layers)} layers)")
        docker_types = base.media_type == DOCKER_MANIFEST
        self.image.manifest_type = base.media_type
        self.image.base_layers = base.layers
        self.image.base_repository = base.repository
        epoch = request.source_date_epoch

        target = dependencies.Target(
            python_version=request.python_version,
            architecture=base.config.get("architecture", "amd64"),
        )
        requirements = (request.context_dir / "code" / request.requirements_path).read_bytes()
        key = dependencies.cache_key(requirements, base.digest, target)
        deps = self.cache.get(key)
        if deps is not None:
            log(f"Dependency layer {deps.digest[:19]} reused from the cache (pip not run)")
        else:
            deps = dependencies.build_layer(
                request.context_dir / "code",
                request.requirements_path,
                target,
                workdir,
                epoch,
                log,
            )
            deps = self.cache.put(key, deps)
            log(f"Dependency layer {deps.digest[:19]}: {deps.size / 1e6:.1f} MB")
        remember = self.cache.root / f"{key}.repository"
        mount_from = remember.read_text().strip() if remember.is_file() else ""

        code = write_layer(
            [(request.context_dir / "code", APP_PATH)],
            workdir / "code.tar.gz",
            epoch,
            skip_bytecode=False,  # the module's own files go in exactly as committed
        )
        log(f"Code layer {code.digest[:19]}: {code.size / 1e6:.2f} MB")
        layer_type = DOCKER_LAYER if docker_types else code.media_type
        self.image.layers = [
            _Layer(_retype(deps, layer_type), mount_from=mount_from, remember_in=remember),
            _Layer(_retype(code, layer_type)),
        ]
        config = self._config(request, base.config, deps, code)
        self.image.config = write_json_blob(
            config, workdir / "config.json", DOCKER_CONFIG if docker_types else OCI_CONFIG
        )
        manifest = {
            "schemaVersion": 2,
            "mediaType": base.media_type if docker_types else OCI_MANIFEST,
            "config": self.image.config.descriptor(),
            "layers": [*base.layers, *(layer.blob.descriptor() for layer in self.image.layers)],
        }
        self.image.manifest = canonical_json(manifest)
        self.image.manifest_type = manifest["mediaType"]
        self.image.digest = "sha256:" + hashlib.sha256(self.image.manifest).hexdigest()
        log(f"Image {self.image.digest} assembled", important=True)
        return self.image.digest

    def _config(self, request: BuildRequest, base: dict, deps: Blob, code: Blob) -> dict:
        created = datetime.fromtimestamp(request.source_date_epoch, UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        container = dict(base.get("config") or {})
        env = [item for item in container.get("Env") or [] if "=" in item]
        values = dict(item.split("=", 1) for item in env)
        path = values.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        values.update(
            {
                "PATH": f"{path}:/{dependencies.DEPS_PATH}/bin:/{dependencies.SHIM_PATH}",
                "PYTHONPATH": f"/{dependencies.DEPS_PATH}",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        entrypoint = ["python", f"/{APP_PATH}/{request.entrypoint}"]
        container.update(
            {
                "Env": [f"{key}={value}" for key, value in values.items()],
                "Entrypoint": entrypoint,
                "Cmd": None,
                "WorkingDir": f"/{APP_PATH}",
                "Labels": {**(container.get("Labels") or {}), **request.labels},
            }
        )
        history = [
            *(base.get("history") or []),
            {
                "created": created,
                "created_by": (
                    f"pip install --only-binary=:all: --target /{dependencies.DEPS_PATH} "
                    f"-r {request.requirements_path} (on the build worker, wheels only)"
                ),
                "comment": "mlreef: dependencies",
            },
            {
                "created": created,
                "created_by": f"COPY exported commit {request.labels.get(REVISION, '')} /app",
                "comment": "mlreef: code",
            },
            {
                "created": created,
                "created_by": f"ENTRYPOINT {json.dumps(entrypoint)}",
                "comment": "mlreef: configuration",
                "empty_layer": True,
            },
        ]
        rootfs = dict(base.get("rootfs") or {"type": "layers", "diff_ids": []})
        rootfs["diff_ids"] = [*rootfs.get("diff_ids", []), deps.diff_id, code.diff_id]
        return {
            **{k: v for k, v in base.items() if k not in ("container", "container_config")},
            "created": created,
            "config": container,
            "rootfs": rootfs,
            "history": history,
        }

    # -- push --------------------------------------------------------------------------------
    def push(self, request: BuildRequest, log: LogFunction) -> str:
        repository = split_repository(request.repository)
        attempts = max(1, settings.PUBLISH_PUSH_RETRIES)
        for attempt in range(1, attempts + 1):
            try:
                if not self.image.pushed:
                    self._push_blobs(repository, log)
                    self.client.put_manifest(
                        repository, self.image.digest, self.image.manifest, self.image.manifest_type
                    )
                    self.image.pushed = True
                    log(f"Manifest {self.image.digest} stored")
                for tag in request.tags:
                    self.client.put_manifest(
                        repository, tag, self.image.manifest, self.image.manifest_type
                    )
                    log(f"Tagged {tag}")
                return self.image.digest
            except RegistryError as error:
                transient = isinstance(error, RegistryUnreachable) or error.status >= 500
                if not transient or attempt == attempts:
                    raise BuildPlatformError(
                        f"Could not push {request.repository} "
                        f"{f'after {attempts} attempts' if transient else ''}: {error}"
                    ) from None
                delay = 2 ** (attempt - 1)
                log(f"Push attempt {attempt} failed ({error}); retrying in {delay} s", True)
                time.sleep(delay)
        return self.image.digest

    def _push_blobs(self, repository: str, log: LogFunction) -> None:
        client = self.client
        for descriptor in self.image.base_layers:
            digest = descriptor["digest"]
            if client.blob_exists(repository, digest):
                continue
            if client.mount_blob(repository, digest, self.image.base_repository):
                log(f"Base layer {digest[:19]} mounted from {self.image.base_repository}")
                continue
            log(f"Copying base layer {digest[:19]} from {self.image.base_repository}")
            with client.open_blob(self.image.base_repository, digest) as response:
                client.upload_blob(
                    repository,
                    digest,
                    response.iter_content(1024 * 1024),
                    size=descriptor.get("size"),
                    progress=_progress(log, "base layer", descriptor.get("size", 0)),
                )
        assert self.image.config is not None
        for layer in [*self.image.layers, _Layer(self.image.config)]:
            blob = layer.blob
            if client.blob_exists(repository, blob.digest):
                log(f"Layer {blob.digest[:19]} already in the registry: not uploaded")
            elif layer.mount_from and client.mount_blob(repository, blob.digest, layer.mount_from):
                log(f"Layer {blob.digest[:19]} mounted from {layer.mount_from}: not uploaded")
            else:
                log(f"Uploading {blob.digest[:19]} ({blob.size / 1e6:.2f} MB)")
                client.upload_blob(
                    repository,
                    blob.digest,
                    blob.path,
                    size=blob.size,
                    progress=_progress(log, blob.digest[:19], blob.size),
                )
            if layer.remember_in is not None:
                layer.remember_in.write_text(repository)

    def cleanup(self, request: BuildRequest) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self.client.close()


REVISION = "org.opencontainers.image.revision"


def _retype(blob: Blob, media_type: str) -> Blob:
    return Blob(blob.path, blob.digest, blob.size, media_type, blob.diff_id)


def _progress(log: LogFunction, what: str, total: int):
    """Log every 16 MB, and give the log a chance to notice a cancel on every chunk."""
    state = {"next": PROGRESS_STEP}

    def report(sent: int) -> None:
        if sent >= state["next"]:
            state["next"] += PROGRESS_STEP
            log(f"  {what}: {sent / 1e6:.0f} / {total / 1e6:.0f} MB")
        else:
            log("")  # heartbeat and cancel check, no line

    return report
