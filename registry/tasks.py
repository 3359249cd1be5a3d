"""Celery tasks of the registry: thin, scheduled by beat."""

from datetime import timedelta

from celery import shared_task

from .maintenance import expire_uploads

UPLOAD_EXPIRY = timedelta(hours=24)


@shared_task(ignore_result=True)
def expire_uploads_task() -> int:
    """Upload sessions a client abandoned (untouched for a day) and their partial files go."""
    count, _ = expire_uploads(UPLOAD_EXPIRY)
    return count
