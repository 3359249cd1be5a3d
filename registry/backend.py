"""The built-in registry as publishing's image registry (``REGISTRY_BACKEND``'s default).

Tags are rows in the hub's database, so ``publish`` runs inside the caller's transaction: the
version's tag appears exactly when the publication becomes published, or not at all.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from accounts.internal import issue_internal_token
from publishing.registry import ImageRegistry, PushTarget, TagError

from . import services
from .access import resource
from .models import Repository, Tag


def hub_url() -> str:
    """How builds reach the hub (its registry is under /v2/ of the same server)."""
    configured = getattr(settings, "BUILD_HUB_URL", "") or settings.PUBLIC_URL
    return (configured or "http://127.0.0.1:8000").rstrip("/")


class BuiltinRegistry(ImageRegistry):
    def host(self) -> str:
        return urlsplit(settings.PUBLIC_URL or "http://127.0.0.1:8000").netloc

    def push_target(self, module, read: list[str] | None = None) -> PushTarget:
        """An internal credential that pushes this module's image only, for the build's life."""
        token = issue_internal_token(
            module.owner,
            [resource(module.full_name)],
            scopes=("write",),
            ttl_seconds=settings.PUBLISH_HEARTBEAT_TIMEOUT + 3600,
        )
        return PushTarget(hub_url(), self.host(), "mlreef-build", token)

    def publish(self, module, digest: str, build_tag: str, version: str, latest: bool) -> None:
        repository = Repository.objects.filter(module=module).first()
        manifest = repository and repository.manifests.filter(digest=digest).first()
        if manifest is None:
            raise TagError(f"The registry holds no manifest {digest} for {module.full_name}.")
        try:
            services.set_tag(repository, version, manifest, immutable=True)
            if latest:
                services.set_tag(repository, "latest", manifest)
        except services.RegistryError as error:
            raise TagError(error.message) from None
        Tag.objects.filter(repository=repository, name=build_tag, immutable=False).delete()

    def discard(self, module, build_tag: str) -> None:
        Tag.objects.filter(repository__module=module, name=build_tag, immutable=False).delete()

    def tags(self, module) -> list[str]:
        return list(
            Tag.objects.filter(repository__module=module)
            .order_by("name")
            .values_list("name", flat=True)
        )
