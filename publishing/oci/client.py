"""A client of the OCI Distribution API, so publishing needs no Docker engine to push or pull.

It speaks to any registry: the hub's own, a CNCF distribution registry, Docker Hub. Registries
that want a token answer 401 with ``WWW-Authenticate: Bearer realm=…,service=…,scope=…``; the
client then asks the realm for a token for exactly the scope it needs (anonymously, or with the
configured user and password as Basic credentials) and retries. Blobs are streamed from and to
files, never held in memory; a blob the target already has is not sent again (HEAD first), and
one that another repository of the same registry holds is mounted instead of uploaded.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_LIST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
CHUNK = 1024 * 1024

Progress = Callable[[int], None]


class RegistryError(Exception):
    """The registry refused a request or could not be reached; the message says which."""

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RegistryUnreachable(RegistryError):
    """No answer at all (connection refused, DNS, TLS, timeout)."""


class NotFoundError(RegistryError):
    """The repository, manifest or blob does not exist (or the caller may not know it does)."""


@dataclass(frozen=True)
class ImageReference:
    """``registry/repository[:tag][@digest]``, with Docker Hub's short forms expanded."""

    registry: str
    repository: str
    tag: str = "latest"
    digest: str = ""

    @classmethod
    def parse(cls, text: str, default_registry: str) -> ImageReference:
        """A reference without a registry host belongs to ``default_registry`` (the hub's)."""
        name, _, digest = text.partition("@")
        first, _, rest = name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            registry, path = first, rest
        else:
            registry, path = default_registry, name
        tag = "latest"
        last = path.rsplit("/", 1)[-1]
        if ":" in last:
            path, _, tag = path.rpartition(":")
        if registry in ("docker.io", "index.docker.io"):
            registry = "registry-1.docker.io"
        if registry == "registry-1.docker.io" and "/" not in path:
            path = f"library/{path}"
        if not re.fullmatch(r"[a-z0-9]+(?:[._/-][a-z0-9]+|__)*", path.replace("__", "_")):
            raise ValueError(f"'{text}' is not a valid image reference.")
        return cls(registry=registry, repository=path, tag=tag, digest=digest)

    @property
    def reference(self) -> str:
        """What to ask the manifests endpoint for: the digest when pinned, else the tag."""
        return self.digest or self.tag

    def __str__(self) -> str:
        suffix = f"@{self.digest}" if self.digest else f":{self.tag}"
        return f"{self.registry}/{self.repository}{suffix}"


def base_url(registry: str) -> str:
    """``host:port`` speaks HTTPS, except on the loopback where registries run plain HTTP."""
    if "://" in registry:
        return registry.rstrip("/")
    host = registry.split("/", 1)[0]
    local = host.startswith(("127.", "localhost", "[::1]"))
    return f"{'http' if local else 'https'}://{host}"


def _challenge_params(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
    return scheme.lower(), params


class RegistryClient:
    """One registry, one set of credentials. Not shared between threads or builds."""

    def __init__(
        self,
        registry: str,
        username: str = "",
        password: str = "",
        timeout: float = 60,
        verify: bool | str = True,
    ) -> None:
        # ``host:port`` (what image references start with); the URL keeps any given scheme.
        self.registry = registry.split("://", 1)[-1].rstrip("/")
        self.url = base_url(registry)
        self.username = username
        self.password = password
        self.timeout = timeout
        self.session = requests.Session()
        self.session.verify = verify
        self.session.headers["User-Agent"] = "mlreef-hub"
        self._auth_by_scope: dict[str, str] = {}  # scope -> "Bearer …" or "Basic …"

    def close(self) -> None:
        self.session.close()

    # -- authentication ----------------------------------------------------------------------
    def _authorization(self, scope: str) -> dict[str, str]:
        value = self._auth_by_scope.get(scope)
        return {"Authorization": value} if value else {}

    def _login(self, challenge: str, scope: str) -> None:
        scheme, params = _challenge_params(challenge)
        basic = (self.username, self.password) if self.username else None
        if scheme == "basic":
            if basic is None:
                raise RegistryError(f"{self.registry} needs a user name and password.", 401)
            request = requests.Request(auth=basic).prepare()
            self._auth_by_scope[scope] = request.headers["Authorization"]
            return
        if scheme != "bearer" or "realm" not in params:
            raise RegistryError(f"{self.registry} asks for unknown authentication: {challenge}")
        query = {"service": params.get("service", "")}
        scopes = scope.split(" ") if scope else []
        try:
            response = self.session.get(
                params["realm"],
                params=[*query.items(), *(("scope", s) for s in scopes)],
                auth=basic,
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise RegistryUnreachable(f"token service {params['realm']}: {error}") from None
        if response.status_code != 200:
            raise RegistryError(
                f"the token service of {self.registry} refused: {response.status_code} "
                f"{response.text[:200]}",
                response.status_code,
            )
        body = response.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryError(f"the token service of {self.registry} returned no token")
        self._auth_by_scope[scope] = f"Bearer {token}"

    def _send(
        self,
        method: str,
        url: str,
        scope: str,
        *,
        retry_auth: bool = True,
        ok: tuple[int, ...] = (200,),
        **kwargs,
    ) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), **self._authorization(scope)}
        try:
            response = self.session.request(
                method,
                urljoin(self.url + "/", url),
                headers=headers,
                timeout=self.timeout,
                **kwargs,
            )
        except requests.RequestException as error:
            raise RegistryUnreachable(f"{self.registry} is not reachable: {error}") from None
        if response.status_code == 401 and retry_auth and "WWW-Authenticate" in response.headers:
            response.close()
            self._login(response.headers["WWW-Authenticate"], scope)
            kwargs["headers"] = headers
            return self._send(method, url, scope, retry_auth=False, ok=ok, **kwargs)
        if response.status_code not in ok:
            raise self._error(method, url, response)
        return response

    def _error(self, method: str, url: str, response: requests.Response) -> RegistryError:
        code, message = "", ""
        if method != "HEAD":
            try:
                first = (response.json().get("errors") or [{}])[0]
                code, message = first.get("code", ""), first.get("message", "")
            except (ValueError, AttributeError):
                message = response.text[:200]
        response.close()
        text = (
            f"{self.registry} answered {response.status_code} to {method} "
            f"{url.split('?')[0]}{f': {code} {message}' if code or message else ''}"
        )
        kind = NotFoundError if response.status_code == 404 else RegistryError
        return kind(text, response.status_code, code)

    @staticmethod
    def scope(repository: str, actions: str = "pull") -> str:
        return f"repository:{repository}:{actions}"

    # -- reading -----------------------------------------------------------------------------
    def get_manifest(
        self, repository: str, reference: str, accept: tuple[str, ...] = MANIFEST_TYPES
    ) -> tuple[bytes, str, str]:
        """The manifest's exact bytes, media type and digest."""
        response = self._send(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            self.scope(repository),
            headers={"Accept": ", ".join(accept)},
        )
        body = response.content
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if reference.startswith("sha256:") and reference != digest:
            raise RegistryError(f"manifest {reference} arrived with digest {digest}")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type not in MANIFEST_TYPES:
            media_type = json.loads(body).get("mediaType", media_type)
        return body, media_type, digest

    def manifest_digest(self, repository: str, reference: str) -> str | None:
        """The digest a tag (or digest) resolves to, or None when it does not exist."""
        try:
            response = self._send(
                "HEAD",
                f"/v2/{repository}/manifests/{reference}",
                self.scope(repository),
                headers={"Accept": ", ".join(MANIFEST_TYPES)},
            )
        except NotFoundError:
            return None
        return response.headers.get("Docker-Content-Digest") or None

    def open_blob(self, repository: str, digest: str) -> requests.Response:
        """A streaming response for the blob; the caller closes it."""
        return self._send(
            "GET", f"/v2/{repository}/blobs/{digest}", self.scope(repository), stream=True
        )

    def read_blob(self, repository: str, digest: str, limit: int = 8 * 1024 * 1024) -> bytes:
        """A small blob (an image config), checked against its digest."""
        with self.open_blob(repository, digest) as response:
            body = response.raw.read(limit + 1, decode_content=True)
        if len(body) > limit:
            raise RegistryError(f"blob {digest} is larger than {limit} bytes")
        if "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            raise RegistryError(f"blob {digest} arrived with other content")
        return body

    def blob_exists(self, repository: str, digest: str) -> bool:
        try:
            self._send(
                "HEAD", f"/v2/{repository}/blobs/{digest}", self.scope(repository, "pull,push")
            )
        except NotFoundError:
            return False
        return True

    def tags(self, repository: str) -> list[str]:
        try:
            response = self._send("GET", f"/v2/{repository}/tags/list", self.scope(repository))
        except NotFoundError:
            return []
        return response.json().get("tags") or []

    # -- writing -----------------------------------------------------------------------------
    def mount_blob(self, repository: str, digest: str, source: str) -> bool:
        """Cross-repository mount; False when the registry would rather have an upload."""
        scope = f"{self.scope(repository, 'pull,push')} {self.scope(source)}"
        response = self._send(
            "POST",
            f"/v2/{repository}/blobs/uploads/?mount={digest}&from={source}",
            scope,
            ok=(201, 202),
        )
        if response.status_code == 201:
            return True
        location = response.headers.get("Location")
        if location:  # an upload session was opened instead: close it
            try:
                self._send("DELETE", location, scope, ok=(200, 202, 204, 404))
            except RegistryError:
                pass
        return False

    def upload_blob(
        self,
        repository: str,
        digest: str,
        source: Path | BinaryIO | Iterator[bytes],
        size: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Stream ``source`` as one PATCH into an upload session, then close it with the digest.

        ``progress`` is called with the bytes sent so far; it may raise to abandon the upload,
        in which case the session is cancelled and nothing becomes visible.
        """
        scope = self.scope(repository, "pull,push")
        response = self._send("POST", f"/v2/{repository}/blobs/uploads/", scope, ok=(202,))
        location = response.headers["Location"]
        body = _Reader(source, size, progress)
        try:
            response = self._send(
                "PATCH",
                location,
                scope,
                data=body,
                headers={"Content-Type": "application/octet-stream"},
                ok=(202, 204),
            )
            location = response.headers.get("Location", location)
            joiner = "&" if "?" in location else "?"
            self._send(
                "PUT",
                f"{location}{joiner}digest={digest}",
                scope,
                headers={"Content-Length": "0"},
                ok=(201, 204),
            )
        except BaseException:
            try:
                self._send("DELETE", location, scope, ok=(200, 202, 204, 404), retry_auth=False)
            except RegistryError:
                pass
            raise
        finally:
            body.close()

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        """PUT the exact bytes under a digest or a tag; returns the manifest digest."""
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        response = self._send(
            "PUT",
            f"/v2/{repository}/manifests/{reference}",
            self.scope(repository, "pull,push"),
            data=body,
            headers={"Content-Type": media_type},
            ok=(201, 200),
        )
        answered = response.headers.get("Docker-Content-Digest")
        if answered and answered != digest:
            raise RegistryError(f"the registry stored the manifest as {answered}, not {digest}")
        return digest

    def delete_manifest(self, repository: str, digest: str) -> None:
        self._send(
            "DELETE",
            f"/v2/{repository}/manifests/{digest}",
            self.scope(repository, "delete"),
            ok=(202, 200, 204),
        )


class _Reader:
    """A file-like view of a blob's bytes with a known length, reporting progress as it is read.

    requests streams objects that have ``read`` and ``__len__`` with a Content-Length (no chunked
    encoding, which not every registry accepts on PATCH).
    """

    def __init__(self, source, size: int | None, progress: Progress | None) -> None:
        self._file = source.open("rb") if isinstance(source, Path) else None
        if self._file is not None and size is None:
            size = source.stat().st_size
        self._source = self._file if self._file is not None else source
        self._iterator = None if hasattr(self._source, "read") else iter(self._source)
        self._buffer = b""
        self._size = size
        self._sent = 0
        self._progress = progress

    def __len__(self) -> int:
        if self._size is None:
            raise TypeError("length unknown")
        return self._size

    def read(self, amount: int = -1) -> bytes:
        amount = CHUNK if amount is None or amount < 0 else amount
        if self._iterator is None:
            data = self._source.read(amount)
        else:
            while len(self._buffer) < amount:
                try:
                    self._buffer += next(self._iterator)
                except StopIteration:
                    break
            data, self._buffer = self._buffer[:amount], self._buffer[amount:]
        self._sent += len(data)
        if self._progress and data:
            self._progress(self._sent)
        return data

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
