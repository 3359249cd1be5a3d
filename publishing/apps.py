from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from modules.signals import push_received

        from . import receivers

        push_received.connect(receivers.publish_after_push, dispatch_uid="publish-after-push")
