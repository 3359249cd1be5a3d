from django.contrib import admin

from .models import Collaborator, Module, ModuleRedirect


class CollaboratorInline(admin.TabularInline):
    model = Collaborator
    extra = 0


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("slug", "owner", "kind", "visibility", "updated_at")
    list_filter = ("kind", "visibility")
    search_fields = ("slug", "name", "description")
    inlines = [CollaboratorInline]


admin.site.register(ModuleRedirect)
