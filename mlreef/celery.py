"""The Celery application shared by the web process and the worker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlreef.settings")

app = Celery("mlreef")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
