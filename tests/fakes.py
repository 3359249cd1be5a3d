"""A builder that records instead of building, for unit tests of the publication state machine."""

from __future__ import annotations

from publishing.builders import BuildPlatformError, BuildRequest, BuildUserError, ImageBuilder


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
            raise BuildUserError("Installing the requirements failed; pip's error is above.")
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
