"""Stopping publications: cancel on request, and reap those whose worker died or never came."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.utils import timezone

from .. import jobs
from ..logs import PublicationLog
from ..models import ACTIVE_STATUSES, Publication

logger = logging.getLogger(__name__)


def cancel_publication(publication: Publication) -> Publication:
    """Queued ones end at once; running ones stop at their next log line."""
    jobs.cancel(publication, PublicationLog, "Cancelled before the build started.")
    return publication


def reap_stale_publications(publications=None) -> int:
    """Fail publications that will not finish by themselves, with the reason why.

    - never started: no worker took it within PUBLISH_QUEUE_TIMEOUT (messages are re-sent
      meanwhile), so no worker is running or none can reach the broker;
    - worker died or hung: started, then no heartbeat for PUBLISH_HEARTBEAT_TIMEOUT. Its task
      is also stopped (revoke with terminate), so a hung build cannot keep holding a worker.

    Beat runs it over all of them; pages and the API pass just the ones they are about to show.
    """
    heartbeat = timedelta(seconds=settings.PUBLISH_HEARTBEAT_TIMEOUT)
    queue_timeout = timedelta(seconds=settings.PUBLISH_QUEUE_TIMEOUT)
    now = timezone.now()
    reaped = 0
    candidates = Publication.objects.all() if publications is None else publications
    for publication in candidates.filter(status__in=ACTIVE_STATUSES):
        if publication.started_at is None:
            if now - publication.created_at <= queue_timeout:
                continue
            waited = int(queue_timeout.total_seconds())
            reason = (
                f"Never started: no build worker took it within {waited} s. Is a Celery "
                "worker running and connected to the broker?"
            )
        elif publication.is_stale(heartbeat):
            reason = (
                f"The build worker died or hung: no sign of life for "
                f"{int(heartbeat.total_seconds())} s. The build was stopped."
            )
        else:
            continue
        if jobs.fail_unless_moved(publication, PublicationLog, reason):
            _stop_task(publication.task_id)
            reaped += 1
    return reaped


def _stop_task(task_id: str) -> None:
    """Revoke the task and kill it where it runs (a hung build otherwise holds the worker)."""
    if not task_id:
        return
    try:
        current_app.control.revoke(task_id, terminate=True, signal="SIGKILL")
    except Exception as error:  # noqa: BLE001 - the broker may be the thing that is down
        logger.warning("could not revoke task %s: %s", task_id, error)
