"""A publication's log: every line stored as it happens, sanitised, masked and capped."""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from .models import LogLine, Publication

MAX_LINE_CHARS = 4000
CHECK_INTERVAL = 1.0  # seconds between heartbeats / cancel checks
TOKEN_PATTERN = re.compile(r"mlr_[A-Za-z0-9_-]{8,}")
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.I)


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """The user asked to cancel; raised from the log so any long step stops promptly."""


def sanitise(text: str, secrets: list[str]) -> str:
    text = text.replace("\x00", "")
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    text = TOKEN_PATTERN.sub("mlr_****", text)
    text = URL_CREDENTIALS.sub(r"\g<scheme>****:****@", text)
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + " … (line cut)"
    return text


class PublicationLog:
    """Writes lines for one publication; also its heartbeat and the place cancels are noticed."""

    def __init__(
        self,
        publication: Publication,
        secrets: list[str] | None = None,
        check_cancel: bool = True,
    ) -> None:
        self.publication = publication
        self.secrets = [s for s in (secrets or []) if s]
        self.step = publication.status
        last = publication.lines.aggregate(last=Max("number"))["last"]
        self.number = last or 0
        self.bytes = publication.log_bytes
        self.limit = settings.PUBLISH_LOG_LIMIT
        self.truncated = self.bytes >= self.limit
        self.check_cancel = check_cancel
        self._last_check = 0.0

    def write(self, text: str, important: bool = False) -> None:
        """Store each line of ``text``; ``important`` lines are kept even past the size cap."""
        for raw in text.replace("\r\n", "\n").split("\n"):
            line = raw.rsplit("\r", 1)[-1].rstrip()
            if line:
                self._store(sanitise(line, self.secrets), important)
        self._tick()

    def _store(self, line: str, important: bool) -> None:
        size = len(line.encode()) + 1
        if self.truncated and not important:
            return
        if not important and self.bytes + size > self.limit:
            self.truncated = True
            line = f"… the log reached {self.limit} bytes; further build output is not kept."
        self.bytes += size
        self._insert(line)

    def _insert(self, line: str) -> None:
        """Append with the next number; another writer (a cancel, the reaper) may have taken
        it meanwhile, so re-read the end of the log and try again."""
        for _attempt in range(5):
            self.number += 1
            try:
                with transaction.atomic():
                    LogLine.objects.create(
                        publication=self.publication,
                        number=self.number,
                        step=self.step,
                        text=line,
                        created_at=timezone.now(),
                    )
                return
            except IntegrityError:
                self.number = self.publication.lines.aggregate(last=Max("number"))["last"] or 0
        raise RuntimeError(f"could not append to the log of publication {self.publication.pk}")

    def _tick(self) -> None:
        now = time.monotonic()
        if now - self._last_check < CHECK_INTERVAL:
            return
        self._last_check = now
        Publication.objects.filter(pk=self.publication.pk).update(
            heartbeat_at=timezone.now(), log_bytes=self.bytes
        )
        if (
            self.check_cancel
            and Publication.objects.filter(pk=self.publication.pk, cancel_requested=True).exists()
        ):
            raise Cancelled()

    def save_size(self) -> None:
        Publication.objects.filter(pk=self.publication.pk).update(log_bytes=self.bytes)
