"""What every kind of run shares: the error classes, the run log and the artifact store."""

from __future__ import annotations

from django.conf import settings

from modules.blobstore import BlobStore
from publishing.logs import LiveLog

from ..models import RunLogLine


class RunError(Exception):
    """A run cannot be started with these choices; the message says why (HTTP 400)."""


class RunUserError(Exception):
    """The script or its inputs failed the run (exit code, limits, outputs too large)."""


class RunPlatformError(Exception):
    """The platform failed the run (hub, engine or registry unreachable)."""


class RunLog(LiveLog):
    line_model = RunLogLine
    owner_field = "run"
    what = "output"
    check_interval = 0.5  # cancel must stop a running container promptly

    def size_limit(self) -> int:
        return settings.RUN_LOG_LIMIT


def artifact_store() -> BlobStore:
    return BlobStore(settings.ARTIFACTS_DIR)
