from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils import timezone

from . import throttle
from .models import User


class ThrottledLoginMixin:
    """Refuse sign-ins from an address or for a username that failed too often lately,
    before the password is hashed; count every failure."""

    throttled: throttle.Throttled | None = None

    def clean(self):
        username = (self.cleaned_data.get("username") or "").lower()
        address = throttle.client_address(self.request) if self.request else "unknown"
        try:
            throttle.check_login(address, username)
        except throttle.Throttled as throttled:
            self.throttled = throttled
            raise forms.ValidationError(str(throttled), code="throttled") from None
        try:
            return super().clean()
        except forms.ValidationError as error:
            if getattr(error, "code", None) == "invalid_login":
                throttle.record_failure(address, username)
            raise


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Form templates render help text as HTML: spell the angle brackets out.
        self.fields[
            "username"
        ].help_text = "Your namespace: your modules live at /&lt;username&gt;/&lt;module&gt;."

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].lower()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError("A user with that username already exists.")
        return username


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=[
            ("read", "read: clone, pull images and use the API read-only"),
            ("write", "write: also push with git, upload and publish"),
        ],
        widget=forms.CheckboxSelectMultiple,
        label="Scope",
        help_text="Choose explicitly: pushing with git needs write.",
    )
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for a token that does not expire.",
    )

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return expires_at
