"""Celery tasks of the modules app: thin, they call a service."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def sweep_repositories_task() -> int:
    """Scheduled by Celery beat: quarantine folders of interrupted pushes do not pile up."""
    return services.sweep_repositories()
