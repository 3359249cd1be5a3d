from django.apps import AppConfig


class ModulesConfig(AppConfig):
    name = "modules"
    default_auto_field = "django.db.models.BigAutoField"
