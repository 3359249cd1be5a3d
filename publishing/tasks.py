"""Celery tasks: thin, they take a primary key and call a service."""

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from . import services


# The hard limit kills the process running a build that hangs past PUBLISH_TIME_LIMIT; the
# soft one, a little earlier, lets the run record why it stopped.
@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    time_limit=settings.PUBLISH_TIME_LIMIT + 60,
    soft_time_limit=settings.PUBLISH_TIME_LIMIT,
)
def run_publication_task(self, publication_id: int) -> None:
    services.run_publication(publication_id, task_id=self.request.id or "")


@shared_task(ignore_result=True)
def resend_queued_publications_task() -> int:
    """Scheduled by Celery beat: re-send publications whose message was lost."""
    return services.resend_queued_publications()


@shared_task(ignore_result=True)
def reap_stale_publications_task() -> int:
    """Scheduled by Celery beat (CELERY_BEAT_SCHEDULE): no publication stays 'building'
    forever after its worker died, even if nobody looks at it."""
    return services.reap_stale_publications()


@worker_ready.connect
def sweep_build_folders(**_kwargs) -> None:
    """A killed build leaves its temporary folder behind; the next worker start removes it."""
    services.sweep_build_folders()
