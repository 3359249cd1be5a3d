"""The base image, read from its registry; a base from another registry is copied in first.

A reference without a registry host (``mlreef/python:3.11``) names an image in the hub's
registry, where ``manage.py base_environment --rootfs`` writes it. A reference with a host
(``docker.io/library/python:3.11-slim``, ``registry.example.com/ml/torch:2``) is read from that
registry anonymously or through its token flow, and copied into the hub's registry under the
same path on first use, so later builds never depend on the outside.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ...oci.client import (
    INDEX_TYPES,
    OCI_CONFIG,
    OCI_MANIFEST,
    ImageReference,
    RegistryClient,
    RegistryError,
    RegistryUnreachable,
)
from ...oci.layers import canonical_json, directory_epoch, write_json_blob, write_layer
from ..base import BuildPlatformError, BuildUserError, LogFunction

PLATFORM = {"os": "linux", "architecture": "amd64"}
HOST_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64"}
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class BaseImage:
    repository: str  # where it lives in the target registry
    digest: str
    media_type: str
    manifest: dict
    config: dict

    @property
    def layers(self) -> list[dict]:
        return self.manifest.get("layers", [])


def resolve(reference: str, target: RegistryClient, log: LogFunction) -> BaseImage:
    try:
        ref = ImageReference.parse(reference, default_registry=target.registry)
    except ValueError as error:
        raise BuildPlatformError(f"Base environment image: {error}") from None
    try:
        if ref.registry != target.registry and not target.manifest_digest(
            ref.repository, ref.reference
        ):
            copy_into(ref, target, log)
        return _read(target, ref.repository, ref.reference)
    except RegistryUnreachable as error:
        raise BuildPlatformError(f"The base image {reference} cannot be read: {error}") from None
    except RegistryError as error:
        raise BuildPlatformError(f"The base image {reference} cannot be read: {error}") from None


def _pick_platform(client: RegistryClient, repository: str, body: bytes, media_type: str):
    """For a multi-platform index, the linux/amd64 image's manifest."""
    if media_type not in INDEX_TYPES:
        return body, media_type
    index = json.loads(body)
    for entry in index.get("manifests", []):
        platform = entry.get("platform", {})
        if all(platform.get(key) == value for key, value in PLATFORM.items()):
            body, media_type, _ = client.get_manifest(repository, entry["digest"])
            return body, media_type
    raise BuildUserError(f"The base image {repository} has no linux/amd64 variant.")


def _read(client: RegistryClient, repository: str, reference: str) -> BaseImage:
    body, media_type, digest = client.get_manifest(repository, reference)
    if media_type in INDEX_TYPES:
        body, media_type = _pick_platform(client, repository, body, media_type)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
    manifest = json.loads(body)
    config = json.loads(client.read_blob(repository, manifest["config"]["digest"]))
    return BaseImage(repository, digest, media_type, manifest, config)


def copy_into(ref: ImageReference, target: RegistryClient, log: LogFunction) -> None:
    """Copy one platform of a remote image into the target registry, blob by blob, streamed."""
    log(f"Copying the base image {ref} into the hub's registry (first use)", important=True)
    source = RegistryClient(ref.registry, timeout=target.timeout, verify=target.session.verify)
    try:
        body, media_type, _ = source.get_manifest(ref.repository, ref.reference)
        body, media_type = _pick_platform(source, ref.repository, body, media_type)
        manifest = json.loads(body)
        for descriptor in [manifest["config"], *manifest.get("layers", [])]:
            digest = descriptor["digest"]
            if target.blob_exists(ref.repository, digest):
                continue
            log(f"  copying {digest[:19]} ({descriptor.get('size', 0) / 1e6:.1f} MB)")
            with source.open_blob(ref.repository, digest) as response:
                target.upload_blob(
                    ref.repository,
                    digest,
                    response.iter_content(1024 * 1024),
                    size=descriptor.get("size"),
                )
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        target.put_manifest(ref.repository, digest, body, media_type)
        if not ref.digest:
            target.put_manifest(ref.repository, ref.tag, body, media_type)
        log(f"Base image copied as {target.registry}/{ref.repository} ({digest})")
    finally:
        source.close()


def import_rootfs(rootfs: Path, reference: str, client: RegistryClient, log: LogFunction) -> str:
    """Write ``rootfs`` as a one-layer image into the registry; returns the manifest digest.

    Deterministic: the same directory gives the same digest (owners and modes are kept as
    they are, mtimes clamped to SOURCE_DATE_EPOCH or to the newest file).
    """
    ref = ImageReference.parse(reference, default_registry=client.registry)
    epoch_text = os.environ.get("SOURCE_DATE_EPOCH", "")
    epoch = int(epoch_text) if epoch_text.isdigit() else directory_epoch(rootfs)
    created = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with tempfile.TemporaryDirectory(prefix="rootfs-") as tmp:
        folder = Path(tmp)
        log(f"Archiving {rootfs} …")
        layer = write_layer(
            [(rootfs, "")], folder / "layer.tar.gz", epoch, normalize=False, skip_bytecode=False
        )
        config = write_json_blob(
            {
                "architecture": HOST_ARCHITECTURES.get(platform.machine(), platform.machine()),
                "os": "linux",
                "created": created,
                "config": {"Env": [f"PATH={DEFAULT_PATH}"]},
                "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
                "history": [
                    {"created": created, "created_by": "manage.py base_environment --rootfs"}
                ],
            },
            folder / "config.json",
            OCI_CONFIG,
        )
        manifest = canonical_json(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": config.descriptor(),
                "layers": [layer.descriptor()],
            }
        )
        for blob in (layer, config):
            if client.blob_exists(ref.repository, blob.digest):
                log(f"{blob.digest[:19]} is already in the registry")
                continue
            log(f"Uploading {blob.digest[:19]} ({blob.size / 1e6:.1f} MB)")
            client.upload_blob(ref.repository, blob.digest, blob.path, size=blob.size)
    digest = client.put_manifest(
        ref.repository, "sha256:" + _sha256(manifest), manifest, OCI_MANIFEST
    )
    client.put_manifest(ref.repository, ref.tag, manifest, OCI_MANIFEST)
    return digest


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
