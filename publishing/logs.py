"""Live logs: every line stored as it happens, sanitised, masked and capped.

One machinery serves every kind of job that streams output to a page: publications here, and
higher apps (pipelines' runs) through a subclass of ``LiveLog`` naming their own line model.
A job row carries ``heartbeat_at``, ``log_bytes`` and ``cancel_requested``; its lines are a
model derived from ``LogLineBase`` with a foreign key to the job, ``related_name="lines"``.
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone

from .models import LogLine, Publication

MAX_LINE_CHARS = 4000
CHECK_INTERVAL = 1.0  # seconds between heartbeats / cancel checks
TOKEN_PATTERN = re.compile(r"mlri?_[A-Za-z0-9_:.-]{8,}")
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.I)


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """The user asked to cancel; raised from the log so any long step stops promptly."""


def sanitise(text: str, secrets: list[str]) -> str:
    text = text.replace("\x00", "")
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    text = TOKEN_PATTERN.sub(lambda m: m.group(0).split("_", 1)[0] + "_****", text)
    text = URL_CREDENTIALS.sub(r"\g<scheme>****:****@", text)
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + " … (line cut)"
    return text


class LiveLog:
    """Writes lines for one job; also its heartbeat and the place cancels are noticed.

    Subclasses name the line model, the job's foreign key on it and the size cap.
    """

    line_model: type[models.Model]
    owner_field: str
    what = "output"  # in the "log reached its cap" line
    check_interval: float | None = None  # seconds; None: CHECK_INTERVAL

    def __init__(
        self,
        owner: models.Model,
        secrets: list[str] | None = None,
        check_cancel: bool = True,
    ) -> None:
        self.owner = owner
        self.owner_model = type(owner)
        self.secrets = [s for s in (secrets or []) if s]
        self.step = owner.status
        last = self._lines().aggregate(last=Max("number"))["last"]
        self.number = last or 0
        self.bytes = owner.log_bytes
        self.limit = self.size_limit()
        self.truncated = self.bytes >= self.limit
        self.check_cancel = check_cancel
        self._last_check = 0.0

    @classmethod
    def note(cls, owner: models.Model, text: str) -> None:
        """One line from outside the job's own run (queued, cancelled, reaped): always kept,
        and never raising Cancelled."""
        cls(owner, check_cancel=False).write(text, important=True)

    def size_limit(self) -> int:
        raise NotImplementedError

    def _lines(self):
        return self.line_model.objects.filter(**{self.owner_field: self.owner})

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
            line = f"… the log reached {self.limit} bytes; further {self.what} is not kept."
        self.bytes += size
        self._insert(line)

    def _insert(self, line: str) -> None:
        """Append with the next number; another writer (a cancel, the reaper) may have taken
        it meanwhile, so re-read the end of the log and try again."""
        for _attempt in range(5):
            self.number += 1
            try:
                with transaction.atomic():
                    self.line_model.objects.create(
                        **{self.owner_field: self.owner},
                        number=self.number,
                        step=self.step,
                        text=line,
                        created_at=timezone.now(),
                    )
                return
            except IntegrityError:
                self.number = self._lines().aggregate(last=Max("number"))["last"] or 0
        raise RuntimeError(
            f"could not append to the log of {self.owner_model.__name__} {self.owner.pk}"
        )

    def _tick(self, force: bool = False) -> None:
        now = time.monotonic()
        interval = CHECK_INTERVAL if self.check_interval is None else self.check_interval
        if not force and now - self._last_check < interval:
            return
        self._last_check = now
        jobs = self.owner_model.objects.filter(pk=self.owner.pk)
        jobs.update(heartbeat_at=timezone.now(), log_bytes=self.bytes)
        if self.check_cancel and jobs.filter(cancel_requested=True).exists():
            raise Cancelled()

    def heartbeat(self) -> None:
        """A sign of life (and a cancel check) while the job is silent."""
        self._tick()

    def save_size(self) -> None:
        self.owner_model.objects.filter(pk=self.owner.pk).update(log_bytes=self.bytes)


class PublicationLog(LiveLog):
    line_model = LogLine
    owner_field = "publication"
    what = "build output"

    def __init__(self, publication: Publication, *args, **kwargs) -> None:
        super().__init__(publication, *args, **kwargs)
        self.publication = publication

    def size_limit(self) -> int:
        return settings.PUBLISH_LOG_LIMIT
