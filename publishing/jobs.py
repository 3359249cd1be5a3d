"""Moving a job through its states: the steps every kind of job shares.

A job is a row with a status, a live log (``logs.LiveLog``), a heartbeat and a cancel flag
(``models.JobState``): a publication here, runs in pipelines. Its worker advances it step by
step and finishes it; a user cancels it; a reaper fails it when its worker died. Each of these
is one conditional update, so two writers (a worker finishing, a reaper failing) never both
win, and each says in the job's log what happened.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .logs import Cancelled, LiveLog

# Every job's statuses include these three.
QUEUED, FAILED, CANCELLED = "queued", "failed", "cancelled"


def _row(job: models.Model) -> models.QuerySet:
    return type(job).objects.filter(pk=job.pk)


def advance(log: LiveLog, status: str) -> None:
    """Move the log's job to ``status``; Cancelled if a user cancelled it or the reaper failed
    it meanwhile (its worker then stops at once)."""
    job = log.owner
    updated = (
        _row(job)
        .filter(cancel_requested=False)
        .exclude(status__in=(CANCELLED, FAILED))
        .update(status=status, heartbeat_at=timezone.now())
    )
    if not updated:
        raise Cancelled()
    job.status = log.step = status
    log.write(f"== {status} ==", important=True)


def finish(
    log: LiveLog,
    status: str,
    reason: str = "",
    kind: str = "",
    prefixes: dict[str, str] | None = None,
    **fields,
) -> None:
    """End the log's job in ``status``; a failure's ``reason`` is written after the prefix its
    ``kind`` (user or platform) names, so the log says whose fault it was. ``fields`` are
    other columns the final update sets (a publication's image digest)."""
    log.check_cancel = False
    log.step = status
    if reason:
        prefix = (prefixes or {}).get(kind, "Stopped")
        log.write(f"{prefix}: {reason}", important=True)
    log.write(f"== {status} ==", important=True)
    log.save_size()
    now = timezone.now()
    _row(log.owner).update(
        status=status,
        failure_reason=reason,
        failure_kind=kind,
        finished_at=now,
        heartbeat_at=now,
        **fields,
    )


def cancel(job: models.Model, log_class: type[LiveLog], note: str) -> None:
    """Ask ``job`` to stop: a queued one ends at once (with ``note`` in its log); a running
    one stops at its worker's next cancel check. Re-reads ``job``."""
    if job.is_final:
        return
    _row(job).update(cancel_requested=True)
    if _row(job).filter(status=QUEUED).update(status=CANCELLED, finished_at=timezone.now()):
        log_class.note(job, note)
    job.refresh_from_db()


def fail_unless_moved(
    job: models.Model, log_class: type[LiveLog], reason: str, kind: str = "platform"
) -> bool:
    """Fail ``job`` for ``reason`` if its status is still the one read (its worker may have
    finished it meanwhile), and say why in its log. True when this call failed it."""
    failed = (
        _row(job)
        .filter(status=job.status)
        .update(status=FAILED, failure_kind=kind, failure_reason=reason, finished_at=timezone.now())
    )
    if failed:
        log_class.note(job, reason)
    return bool(failed)
