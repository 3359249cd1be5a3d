from django.contrib import admin

from .models import BaseEnvironment, Publication


@admin.register(BaseEnvironment)
class BaseEnvironmentAdmin(admin.ModelAdmin):
    list_display = ("name", "image", "python_version", "accelerator", "active")
    list_filter = ("accelerator", "active")


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ("module", "version", "status", "commit_sha", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Publication._meta.fields]
