"""ASGI entry point of the stream server (``manage.py serve_streams`` runs it under uvicorn)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlreef.settings")
django.setup()

from django.conf import settings  # noqa: E402

from .server import Limits, StreamServer  # noqa: E402

application = StreamServer(
    Limits(
        max_total=settings.STREAM_MAX_TOTAL,
        max_per_client=settings.STREAM_MAX_PER_CLIENT,
        max_seconds=settings.STREAM_MAX_SECONDS,
        token_ttl=settings.STREAM_TOKEN_TTL,
    )
)
