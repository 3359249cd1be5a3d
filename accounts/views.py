from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import throttle
from .forms import LoginForm, SignupForm, TokenForm
from .models import PersonalAccessToken


class LoginView(auth_views.LoginView):
    """Django's login, throttled (see accounts.throttle); a throttled attempt answers 429."""

    form_class = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.throttled.retry_after)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, limited per client address like sign-ups (each request may
    send an e-mail to anyone's address)."""

    def form_valid(self, form):
        try:
            throttle.check_hourly(
                "password-reset", throttle.client_address(self.request), "password resets"
            )
        except throttle.Throttled as throttled:
            form.add_error(None, str(throttled))
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(throttled.retry_after)
            return response
        return super().form_valid(form)


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.ALLOW_SIGNUP:
        raise Http404("Sign-up is closed on this hub.")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        try:
            throttle.check_signup(throttle.client_address(request))
        except throttle.Throttled as throttled:
            form.add_error(None, str(throttled))
            response = render(request, "accounts/signup.html", {"form": form}, status=429)
            response["Retry-After"] = str(throttled.retry_after)
            return response
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}!")
        return redirect("library")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The profile page; creating a token renders it once, here, and never again."""
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = PersonalAccessToken.issue(
            request.user,
            form.cleaned_data["name"],
            form.cleaned_data["scopes"],
            form.cleaned_data["expires_at"],
        )
        form = TokenForm()
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": request.user.tokens.all(),
            "modules": request.user.modules.all(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.user)
    token.revoke()
    messages.success(request, f"Revoked token '{token.name}'.")
    return redirect("profile")
