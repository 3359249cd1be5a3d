"""The builder that drives a Docker engine through the docker SDK."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from django.conf import settings

from ..oci.client import RegistryError
from .base import BuildPlatformError, BuildRequest, BuildUserError, ImageBuilder, LogFunction
from .daemonless import dependencies
from .daemonless.builder import registry_client, split_repository


class DockerBuilder(ImageBuilder):
    name = "docker"

    def __init__(self) -> None:
        import docker

        self._docker = docker
        self._built = ""  # the one local tag this build owns: <repository>:<version>
        self._digest = ""
        try:
            self.client = docker.APIClient(base_url=settings.DOCKER_HOST, timeout=600)
            self.client.ping()
        except Exception as error:  # noqa: BLE001 - any failure here means "no engine"
            raise BuildPlatformError(
                f"The Docker engine at {settings.DOCKER_HOST} is not reachable: {error}"
            ) from None

    def build(self, request: BuildRequest, log: LogFunction) -> str:
        # The worker fetches wheels (never sdists) on the network; the build itself has none,
        # so no package code and no RUN step can reach the registry, databases or metadata.
        with tempfile.TemporaryDirectory(prefix="pip-", dir=request.context_dir) as tmp:
            dependencies.cached_wheelhouse(
                request.context_dir / "code",
                request.requirements_path,
                dependencies.Target(request.python_version or "3", "amd64"),
                request.context_dir / "wheelhouse",
                Path(tmp),
                log,
            )
        for line in (request.context_dir / request.dockerfile).read_text().splitlines():
            log(f"Dockerfile | {line}")
        image_id = ""
        last_step = ""
        self._built = request.primary
        stream = self.client.build(
            path=str(request.context_dir),
            dockerfile=request.dockerfile,
            tag=request.primary,
            labels=request.labels,
            network_mode="none",
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        )
        try:
            for chunk in stream:
                if "stream" in chunk:
                    text = chunk["stream"]
                    if text.startswith("Step "):
                        last_step = text.strip()
                    log(text)
                elif "error" in chunk:
                    message = chunk["error"].strip()
                    log(message, important=True)
                    if "pip install" in last_step or "pip install" in message:
                        raise BuildUserError(
                            "Installing the requirements failed; pip's error is in the log."
                        )
                    if "RUN " in last_step:
                        raise BuildUserError(f"A build step failed: {last_step}")
                    raise BuildPlatformError(f"The image build failed: {message}")
                elif "aux" in chunk and "ID" in chunk["aux"]:
                    image_id = chunk["aux"]["ID"]
        except self._docker.errors.APIError as error:
            raise BuildPlatformError(f"The Docker engine refused the build: {error}") from None
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()  # stops the engine's build when we leave early (cancel)
        return image_id

    def push(self, request: BuildRequest, log: LogFunction) -> str:
        """The engine pushes the one tag this build made (publishing's throw-away build tag);
        any other tag is set through the registry API on the pushed digest, so no engine-side
        tag is ever shared by two publications. Version tags come later, from publishing."""
        auth = None
        target = request.target
        if target is not None and target.username:
            auth = {"username": target.username, "password": target.password}
        elif settings.REGISTRY_USERNAME:
            auth = {"username": settings.REGISTRY_USERNAME, "password": settings.REGISTRY_PASSWORD}
        repository, built_tag = self._built.rsplit(":", 1)
        if not self._digest:
            self._digest = self._push_with_retries(repository, built_tag, auth, log)
        others = [tag for tag in request.tags if tag != built_tag]
        if others:
            client = registry_client(target)
            path = split_repository(repository)
            try:
                body, media_type, _ = client.get_manifest(path, self._digest)
                for tag in others:
                    client.put_manifest(path, tag, body, media_type)
                    log(f"Tagged {tag}")
            except RegistryError as error:
                raise BuildPlatformError(f"Could not tag {repository}: {error}") from None
            finally:
                client.close()
        return self._digest

    def _push_with_retries(self, repository: str, tag: str, auth, log: LogFunction) -> str:
        attempts = max(1, settings.PUBLISH_PUSH_RETRIES)
        for attempt in range(1, attempts + 1):
            try:
                return self._push_once(repository, tag, auth, log)
            except BuildPlatformError as error:
                if attempt == attempts:
                    raise BuildPlatformError(
                        f"Could not push {repository}:{tag} after {attempts} attempts: {error}"
                    ) from None
                delay = 2 ** (attempt - 1)
                log(
                    f"Push attempt {attempt} failed ({error}); retrying in {delay} s",
                    important=True,
                )
                time.sleep(delay)
        return ""

    def _push_once(self, repository: str, tag: str, auth, log: LogFunction) -> str:
        digest = ""
        seen: set[tuple[str, str]] = set()
        try:
            for chunk in self.client.push(
                repository, tag=tag, stream=True, decode=True, auth_config=auth
            ):
                if "error" in chunk:
                    raise BuildPlatformError(chunk["error"].strip())
                if "aux" in chunk and chunk["aux"].get("Digest"):
                    digest = chunk["aux"]["Digest"]
                status = chunk.get("status", "")
                key = (chunk.get("id", ""), status)
                # Progress bars repeat many times a second; keep each layer's state changes.
                if status and key not in seen:
                    seen.add(key)
                    log(f"{chunk['id']}: {status}" if chunk.get("id") else status)
        except self._docker.errors.APIError as error:
            raise BuildPlatformError(str(error)) from None
        except OSError as error:
            raise BuildPlatformError(str(error)) from None
        if not digest:
            raise BuildPlatformError("the registry did not confirm the push with a digest")
        return digest

    def cleanup(self, request: BuildRequest) -> None:
        if not self._built:
            return
        try:
            self.client.remove_image(self._built, noprune=True)
        except self._docker.errors.APIError:
            pass
