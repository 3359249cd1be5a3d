"""Gunicorn settings, shared by ``manage.py serve`` and the production container.

Threads (gthread) because git pushes and clones hold a request for as long as the transfer takes.
Gunicorn de-chunks request bodies, which git sends for pushes larger than its post buffer.
Bodies of known length are read straight from the socket (``mlreef.gunicorn_body``), and file
responses go out with ``sendfile`` (gunicorn's default), so large uploads and downloads cost
little CPU.
"""

import os

from mlreef.gunicorn_body import pre_request  # noqa: F401 - a server hook gunicorn looks up

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "16"))
timeout = int(os.environ.get("WEB_TIMEOUT", "300"))
accesslog = "-"
wsgi_app = "mlreef.wsgi:application"
