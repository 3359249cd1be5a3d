"""Talking to the OCI distribution registry directly (the image builder pushes; this checks)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from django.conf import settings

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)


def registry_host() -> str:
    """REGISTRY_URL without a scheme: what image references start with."""
    return settings.REGISTRY_URL.split("://", 1)[-1].rstrip("/")


def _base_url() -> str:
    if "://" in settings.REGISTRY_URL:
        return settings.REGISTRY_URL.rstrip("/")
    host = registry_host()
    local = host.startswith(("127.", "localhost"))
    return f"{'http' if local else 'https'}://{host}"


def _request(method: str, path: str) -> urllib.request.Request:
    request = urllib.request.Request(_base_url() + path, method=method)
    request.add_header("Accept", MANIFEST_TYPES)
    if settings.REGISTRY_USERNAME:
        token = base64.b64encode(
            f"{settings.REGISTRY_USERNAME}:{settings.REGISTRY_PASSWORD}".encode()
        ).decode()
        request.add_header("Authorization", f"Basic {token}")
    return request


def tag_digest(repository_path: str, tag: str) -> str | None:
    """The manifest digest a tag points to, or None when the tag does not exist."""
    try:
        with urllib.request.urlopen(
            _request("HEAD", f"/v2/{repository_path}/manifests/{tag}"), timeout=10
        ) as response:
            return response.headers.get("Docker-Content-Digest")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def tags(repository_path: str) -> list[str]:
    try:
        with urllib.request.urlopen(
            _request("GET", f"/v2/{repository_path}/tags/list"), timeout=10
        ) as response:
            return json.load(response).get("tags") or []
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return []
        raise


def delete_tag(repository_path: str, tag: str) -> bool:
    """Remove a tag's manifest (needs deletion enabled in the registry); False if absent."""
    digest = tag_digest(repository_path, tag)
    if digest is None:
        return False
    with urllib.request.urlopen(
        _request("DELETE", f"/v2/{repository_path}/manifests/{digest}"), timeout=10
    ):
        return True
