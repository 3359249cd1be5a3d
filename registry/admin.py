from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from .maintenance import namespace_usage
from .models import Manifest, Repository, Tag, UploadSession


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ("name", "namespace", "namespace_storage", "created_at")
    search_fields = ("module__slug", "module__owner__username")
    readonly_fields = ("module", "created_at")

    @admin.display(description="Namespace")
    def namespace(self, obj: Repository) -> str:
        return obj.module.namespace

    @admin.display(description="Namespace image storage")
    def namespace_storage(self, obj: Repository) -> str:
        return filesizeformat(namespace_usage(obj.module.namespace))


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "repository", "immutable", "updated_at")
    list_filter = ("immutable",)
    readonly_fields = ("repository", "name", "manifest", "immutable", "updated_at")


@admin.register(Manifest)
class ManifestAdmin(admin.ModelAdmin):
    list_display = ("digest", "repository", "media_type", "size", "created_at")
    readonly_fields = [f.name for f in Manifest._meta.fields]


@admin.register(UploadSession)
class UploadSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "repository", "created_at", "updated_at")
