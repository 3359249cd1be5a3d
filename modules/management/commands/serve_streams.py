"""Run the live stream server (see mlreef.streams) on STREAM_BIND.

``manage.py serve`` starts it beside gunicorn; docker-compose runs it as its own service.
"""

from __future__ import annotations

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve live log streams (Server-Sent Events) on STREAM_BIND."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default=settings.STREAM_BIND)

    def handle(self, *args, bind: str, **options) -> None:
        host, _, port = bind.rpartition(":")
        proxies = settings.TRUSTED_PROXIES
        uvicorn.run(
            "mlreef.streams.asgi:application",
            host=host.strip("[]") or "127.0.0.1",
            port=int(port),
            lifespan="on",
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
            access_log=False,
            timeout_graceful_shutdown=2,
            log_level=settings.LOG_LEVEL.lower(),
        )
