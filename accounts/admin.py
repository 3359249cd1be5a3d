from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .forms import AdminLoginForm
from .models import PersonalAccessToken, User

admin.site.register(User, UserAdmin)
admin.site.login_form = AdminLoginForm  # throttled like the site's own login


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "user",
        "token_start",
        "scopes",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("token_start", "last_used_at")
