"""The builder that drives a Docker engine through the docker SDK."""

from __future__ import annotations

import time

from django.conf import settings

from .base import BuildPlatformError, BuildRequest, BuildUserError, ImageBuilder, LogFunction


class DockerBuilder(ImageBuilder):
    name = "docker"

    def __init__(self) -> None:
        import docker

        self._docker = docker
        try:
            self.client = docker.APIClient(base_url=settings.DOCKER_HOST, timeout=600)
            self.client.ping()
        except Exception as error:  # noqa: BLE001 - any failure here means "no engine"
            raise BuildPlatformError(
                f"The Docker engine at {settings.DOCKER_HOST} is not reachable: {error}"
            ) from None

    def build(self, request: BuildRequest, log: LogFunction) -> str:
        for line in (request.context_dir / request.dockerfile).read_text().splitlines():
            log(f"Dockerfile | {line}")
        image_id = ""
        last_step = ""
        stream = self.client.build(
            path=str(request.context_dir),
            dockerfile=request.dockerfile,
            tag=request.primary,
            labels=request.labels,
            buildargs=request.build_args,
            network_mode="host",
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
                            "Installing the requirements failed; pip's error is in the log above."
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
        for tag in request.tags[1:]:
            self.client.tag(request.primary, request.repository, tag)
        return image_id

    def push(self, request: BuildRequest, log: LogFunction) -> str:
        auth = None
        if settings.REGISTRY_USERNAME:
            auth = {"username": settings.REGISTRY_USERNAME, "password": settings.REGISTRY_PASSWORD}
        digest = ""
        for tag in request.tags:
            digest = self._push_with_retries(request.repository, tag, auth, log) or digest
        return digest

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
        for tag in request.tags:
            try:
                self.client.remove_image(f"{request.repository}:{tag}", noprune=True)
            except self._docker.errors.APIError:
                pass
