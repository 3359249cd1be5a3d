from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import TOKEN_SCOPES, User


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].lower()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError("A user with that username already exists.")
        return username


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in TOKEN_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
    )
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for a token that does not expire.",
    )
