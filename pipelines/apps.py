from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    """Runs of published modules on datasets (experiments now, data pipelines next)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "pipelines"
