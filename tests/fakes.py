"""A builder that records instead of building, for unit tests of the publication state machine."""

from __future__ import annotations

from publishing.builders import BuildPlatformError, BuildRequest, BuildUserError, ImageBuilder
from publishing.registry import ImageRegistry, PushTarget, TagError


class FakeBuilder(ImageBuilder):
    name = "fake"
    # Tests set these class attributes to steer a run.
    build_lines: list[str] = ["Step 1/1 : FROM base", "built"]
    fail_build: str = ""  # "user" or "platform"
    on_build_line = None  # called after each line, e.g. to request a cancel
    requests: list[BuildRequest] = []
    cleaned: list[BuildRequest] = []

    dockerfiles: list[str] = []

    def build(self, request: BuildRequest, log) -> str:
        FakeBuilder.requests.append(request)
        FakeBuilder.dockerfiles.append((request.context_dir / request.dockerfile).read_text())
        for line in self.build_lines:
            log(line)
            if FakeBuilder.on_build_line:
                FakeBuilder.on_build_line(line)
        if self.fail_build == "user":
            raise BuildUserError("Installing the requirements failed; pip's error is in the log.")
        if self.fail_build == "platform":
            raise BuildPlatformError("engine exploded")
        return "sha256:fake"

    def push(self, request: BuildRequest, log) -> str:
        log(f"pushed {request.repository}:{','.join(request.tags)}")
        return "sha256:" + "ab" * 32

    def cleanup(self, request: BuildRequest) -> None:
        FakeBuilder.cleaned.append(request)

    @classmethod
    def reset(cls) -> None:
        cls.build_lines = ["Step 1/1 : FROM base", "built"]
        cls.fail_build = ""
        cls.on_build_line = None
        cls.requests = []
        cls.cleaned = []
        cls.dockerfiles = []


class FakeRegistry(ImageRegistry):
    """Records tags instead of talking to a registry."""

    tags_by_module: dict[str, dict[str, str]] = {}
    fail_publish: str = ""

    def host(self) -> str:
        return "registry.test"

    def push_target(self, module, read=None) -> PushTarget:
        return PushTarget("http://registry.test", "registry.test", "builder", "push-secret")

    def publish(self, module, digest: str, build_tag: str, version: str, latest: bool) -> None:
        if self.fail_publish:
            raise TagError(self.fail_publish)
        tags = FakeRegistry.tags_by_module.setdefault(module.full_name, {})
        if tags.get(version, digest) != digest:
            raise TagError(f"tag {version} exists")
        tags[version] = digest
        if latest:
            tags["latest"] = digest

    def discard(self, module, build_tag: str) -> None:
        FakeRegistry.discarded.append(build_tag)

    def tags(self, module) -> list[str]:
        return sorted(FakeRegistry.tags_by_module.get(module.full_name, {}))

    discarded: list[str] = []

    @classmethod
    def reset(cls) -> None:
        cls.tags_by_module = {}
        cls.fail_publish = ""
        cls.discarded = []
