"""Celery tasks: thin, they take a primary key and call a service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def run_publication_task(publication_id: int) -> None:
    services.run_publication(publication_id)
