"""Where publishing puts images: one small interface, chosen by the REGISTRY_BACKEND setting.

With ``REGISTRY_URL`` unset the hub's own registry (the ``registry`` app) holds the images and
applies the hub's permissions; with it set, an external OCI registry does. Publishing never
imports the ``registry`` app: it talks to whichever backend the setting names.

The build pushes blobs and the manifest under a throw-away build tag (an engine cannot push
without one); ``publish`` then creates the version's tag (immutable) and moves ``latest``, in
the database transaction that marks the publication published, so no failed, cancelled or
killed publication leaves a version tag behind. An external distribution registry cannot
delete a tag alone, so there the build pushes the version's tag as its last step and
``discard`` removes it again when the publication does not finish.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)


class TagError(Exception):
    """The registry refused to tag (e.g. the version's tag already names other content)."""


@dataclass(frozen=True)
class PushTarget:
    """Where and as whom a build pushes one module's image."""

    url: str  # the registry API's base URL, e.g. http://127.0.0.1:8000
    host: str  # what image references start with, e.g. 127.0.0.1:8000
    username: str
    password: str


class ImageRegistry(ABC):
    """The registry images are published to."""

    @abstractmethod
    def host(self) -> str:
        """What image references start with (``host[:port]``)."""

    @abstractmethod
    def push_target(self, module, read: list[str] | None = None) -> PushTarget:
        """Credentials a build uses to push ``module``'s image (and read ``read`` repositories)."""

    def build_tag(self, version: int) -> str:
        """The tag a build pushes under (unique per build, never a version's tag)."""
        return f"build-{version}-{uuid.uuid4().hex[:12]}"

    @abstractmethod
    def publish(self, module, digest: str, build_tag: str, version: str, latest: bool) -> None:
        """Tag ``digest`` as ``version`` (immutable), and ``latest`` when asked; drop the build
        tag. Called inside the transaction that marks the publication published."""

    @abstractmethod
    def discard(self, module, build_tag: str) -> None:
        """Forget a build tag of a build that did not publish."""

    def tags(self, module) -> list[str]:
        return []


def repository_path(module) -> str:
    return f"{module.namespace}/{module.slug}"


class ExternalRegistry(ImageRegistry):
    """An OCI registry at REGISTRY_URL (e.g. a CNCF distribution registry), with one account."""

    def host(self) -> str:
        return settings.REGISTRY_URL.split("://", 1)[-1].rstrip("/")

    def _base_url(self) -> str:
        if "://" in settings.REGISTRY_URL:
            return settings.REGISTRY_URL.rstrip("/")
        host = self.host()
        local = host.startswith(("127.", "localhost"))
        return f"{'http' if local else 'https'}://{host}"

    def push_target(self, module, read: list[str] | None = None) -> PushTarget:
        return PushTarget(
            self._base_url(), self.host(), settings.REGISTRY_USERNAME, settings.REGISTRY_PASSWORD
        )

    def _request(self, method: str, path: str, data: bytes | None = None, content_type: str = ""):
        request = urllib.request.Request(self._base_url() + path, method=method, data=data)
        request.add_header("Accept", MANIFEST_TYPES)
        if content_type:
            request.add_header("Content-Type", content_type)
        if settings.REGISTRY_USERNAME:
            token = base64.b64encode(
                f"{settings.REGISTRY_USERNAME}:{settings.REGISTRY_PASSWORD}".encode()
            ).decode()
            request.add_header("Authorization", f"Basic {token}")
        return urllib.request.urlopen(request, timeout=30)

    def tag_digest(self, module, tag: str) -> str | None:
        try:
            with self._request(
                "HEAD", f"/v2/{repository_path(module)}/manifests/{tag}"
            ) as response:
                return response.headers.get("Docker-Content-Digest")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def tags(self, module) -> list[str]:
        try:
            with self._request("GET", f"/v2/{repository_path(module)}/tags/list") as response:
                return json.load(response).get("tags") or []
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return []
            raise

    def build_tag(self, version: int) -> str:
        """A distribution registry deletes manifests, never a tag alone, so a throw-away tag
        could not be removed: the build pushes the version's tag itself, as its last step."""
        return str(version)

    def publish(self, module, digest: str, build_tag: str, version: str, latest: bool) -> None:
        path = repository_path(module)
        try:
            existing = self.tag_digest(module, version)
            if existing != digest:
                raise TagError(f"Tag {version} names {existing or 'nothing'}, not {digest}.")
            if latest:
                with self._request("GET", f"/v2/{path}/manifests/{digest}") as response:
                    body, media_type = response.read(), response.headers.get("Content-Type", "")
                with self._request("PUT", f"/v2/{path}/manifests/latest", body, media_type):
                    pass
        except (urllib.error.URLError, OSError) as error:
            raise TagError(f"The registry refused the tags: {error}") from None

    def discard(self, module, build_tag: str) -> None:
        """Remove the version's tag of a build that did not publish, by deleting its manifest,
        unless another tag names the same image (a reproducible build of an older version)."""
        digest = self.tag_digest(module, build_tag)
        if digest is None:
            return
        others = [tag for tag in self.tags(module) if tag != build_tag]
        if any(self.tag_digest(module, tag) == digest for tag in others):
            return
        with self._request("DELETE", f"/v2/{repository_path(module)}/manifests/{digest}"):
            pass


@cache
def _load(path: str) -> ImageRegistry:
    return import_string(path)()


def get_registry() -> ImageRegistry:
    """REGISTRY_BACKEND when set; else the external registry when REGISTRY_URL is set, else
    the hub's own (named by dotted path: publishing never imports the registry app)."""
    path = settings.REGISTRY_BACKEND or (
        "publishing.registry.ExternalRegistry"
        if settings.REGISTRY_URL
        else "registry.backend.BuiltinRegistry"
    )
    return _load(path)
