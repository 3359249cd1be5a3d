"""A small OCI distribution client for tests: follows the Bearer challenge like docker does."""

from __future__ import annotations

import hashlib
import json
import re

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse_challenge(header: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


class OciClient:
    def __init__(self, base: str, auth: tuple[str, str] | None = None) -> None:
        self.base = base.rstrip("/")
        self.auth = auth
        self.session = requests.Session()
        self.bearer: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        headers = dict(kwargs.pop("headers", {}) or {})
        scope_key = kwargs.pop("scope", None)
        if scope_key and scope_key in self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer[scope_key]}"
        response = self.session.request(method, url, headers=headers, **kwargs)
        challenge = response.headers.get("WWW-Authenticate", "")
        retryable = isinstance(kwargs.get("data"), bytes | None)
        if response.status_code == 401 and challenge.startswith("Bearer") and retryable:
            params = parse_challenge(challenge)
            token = self.token(params.get("scope", ""), params)
            if token:
                headers["Authorization"] = f"Bearer {token}"
                response = self.session.request(method, url, headers=headers, **kwargs)
        return response

    def token(self, scope: str, params: dict | None = None) -> str | None:
        params = params or {}
        query = {"service": params.get("service", "mlreef-registry")}
        if scope:
            query["scope"] = scope
        response = self.session.get(self.base + "/v2/token", params=query, auth=self.auth)
        if response.status_code != 200:
            return None
        return response.json()["token"]

    def login(self, name: str, actions: str = "pull,push,delete") -> str:
        """Fetch a token for ``name`` once and send it on every request."""
        token = self.token(f"repository:{name}:{actions}")
        assert token, "the token server refused the credentials"
        self.session.headers["Authorization"] = f"Bearer {token}"
        return token

    strict = True  # the hub accepts one-request uploads; distribution 2.8 opens a session

    def push_blob(self, name: str, data: bytes) -> str:
        digest = digest_of(data)
        response = self.request(
            "POST", f"/v2/{name}/blobs/uploads/", params={"digest": digest}, data=data
        )
        if response.status_code == 202 and not self.strict:
            location = response.headers["Location"]
            separator = "&" if "?" in location else "?"
            response = self.request("PUT", f"{location}{separator}digest={digest}", data=data)
        assert response.status_code == 201, response.text
        return digest

    def push_image(self, name: str, tag: str, layers: list[bytes], extra: dict | None = None):
        config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {}}).encode()
        self.push_blob(name, config)
        for layer in layers:
            self.push_blob(name, layer)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": CONFIG, "digest": digest_of(config), "size": len(config)},
            "layers": [
                {"mediaType": LAYER, "digest": digest_of(layer), "size": len(layer)}
                for layer in layers
            ],
            **(extra or {}),
        }
        body = json.dumps(manifest).encode()
        response = self.request(
            "PUT",
            f"/v2/{name}/manifests/{tag}",
            data=body,
            headers={"Content-Type": OCI_MANIFEST},
        )
        assert response.status_code == 201, response.text
        return digest_of(body), body
