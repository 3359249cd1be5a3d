"""Celery tasks: thin, they take a primary key and call a service."""

from celery import shared_task
from celery.signals import worker_ready

from . import services


@shared_task(acks_late=True, ignore_result=True)
def run_publication_task(publication_id: int) -> None:
    services.run_publication(publication_id)


@shared_task(ignore_result=True)
def reap_stale_publications_task() -> int:
    """Scheduled by Celery beat (CELERY_BEAT_SCHEDULE): no publication stays 'building'
    forever after its worker died, even if nobody looks at it."""
    return services.reap_stale_publications()


@worker_ready.connect
def sweep_build_folders(**_kwargs) -> None:
    """A killed build leaves its temporary folder behind; the next worker start removes it."""
    services.sweep_build_folders()
