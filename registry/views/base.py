"""What every /v2/ view shares: OCI error bodies, the API version header, authentication and
the permission check that turns module rights into 200 / 401 / 403 DENIED / 404 NAME_UNKNOWN."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.credentials import CredentialsError, check_basic, check_token, parse_basic_header
from accounts.models import User
from accounts.throttle import Throttled, client_address
from mlreef.http_body import request_body
from modules.models import Module

from .. import tokens
from ..access import PUSH_DENIED, Caller, allowed_actions, valid_name
from ..models import Repository
from ..services import RegistryError

API_VERSION = "registry/2.0"


def oci_error(code: str, message: str, status: int, detail=None) -> HttpResponse:
    body = {"errors": [{"code": code, "message": message, "detail": detail}]}
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Docker-Distribution-API-Version"] = API_VERSION
    return response


def json_response(data: dict, status: int = 200, content_type: str = "application/json"):
    response = JsonResponse(data, status=status, content_type=content_type)
    response["Docker-Distribution-API-Version"] = API_VERSION
    return response


def empty(status: int, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(status=status)
    response["Docker-Distribution-API-Version"] = API_VERSION
    for key, value in (headers or {}).items():
        response[key] = value
    if status in (201, 202, 204):
        response["Content-Length"] = "0"
    return response


def hub_url(request: HttpRequest) -> str:
    return settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


def challenge(request: HttpRequest, message: str, scope: str = "", error: str = "") -> HttpResponse:
    response = oci_error("UNAUTHORIZED", message, 401)
    value = (
        f'Bearer realm="{hub_url(request)}/v2/token",service="{settings.REGISTRY_TOKEN_SERVICE}"'
    )
    if scope:
        value += f',scope="{scope}"'
    if error:
        value += f',error="{error}"'
    response["WWW-Authenticate"] = value
    return response


class AuthenticationFailed(Exception):
    pass


def authenticate(request: HttpRequest) -> Caller:
    """Read Basic (password, personal or internal token) or Bearer (registry JWT or token)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return Caller()
    scheme, _, value = header.partition(" ")
    value = value.strip()
    try:
        if scheme.lower() == "basic":
            user, token = check_basic(*parse_basic_header(header), address=client_address(request))
            return Caller(user=user, token=token)
        if scheme.lower() == "bearer" and value.startswith(("mlr_", "mlri_")):
            user, token = check_token(value)
            return Caller(user=user, token=token)
        if scheme.lower() == "bearer":
            claims = tokens.verify(value)
            return caller_from_claims(claims)
    except (CredentialsError, Throttled, tokens.InvalidRegistryToken) as error:
        raise AuthenticationFailed(str(error)) from None
    raise AuthenticationFailed("Unsupported authorization scheme; use Bearer or Basic.")


def caller_from_claims(claims: dict) -> Caller:
    granted: dict[str, set[str]] = {}
    for entry in claims.get("access") or []:
        if isinstance(entry, dict) and entry.get("type") == "repository":
            granted.setdefault(str(entry.get("name")), set()).update(entry.get("actions") or [])
    user = None
    if claims.get("sub"):
        user = User.objects.filter(username=claims["sub"], is_active=True).first()
        if user is None:
            raise AuthenticationFailed("The account behind this token is gone or disabled.")
    return Caller(user=user, granted=granted)


class Target:
    """The repository a request is about, after the permission check."""

    def __init__(self, caller: Caller, name: str, module: Module | None) -> None:
        self.caller, self.name, self.module = caller, name, module

    @property
    def repository(self) -> Repository | None:
        if self.module is None:
            return None
        return Repository.objects.filter(module=self.module).first()


DRAIN_LIMIT = 16 * 1024 * 1024


def drain(request: HttpRequest) -> None:
    """Read what is left of a refused request's body (up to a bound), so the connection stays
    usable: a server that closes it after answering makes the client's next request fail."""
    body = request_body(request)
    remaining = DRAIN_LIMIT
    try:
        while remaining > 0 and (chunk := body.read(min(remaining, 1024 * 1024))):
            remaining -= len(chunk)
    except (OSError, ValueError):
        pass


def registry_view(action_for: Callable[[HttpRequest], str] | None):
    """Wrap a view: OCI errors, authentication and (when ``action_for``) the access check.

    ``action_for(request)`` names the action the method needs (pull, push, delete).
    """

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, name: str = "", **kwargs) -> HttpResponse:
            response = _dispatch(view, action_for, request, name, kwargs)
            if response.status_code >= 400 and request.method in ("POST", "PUT", "PATCH"):
                drain(request)
            return response

        return wrapper

    return decorate


def _dispatch(view, action_for, request: HttpRequest, name: str, kwargs: dict) -> HttpResponse:
    try:
        caller = authenticate(request)
    except AuthenticationFailed as error:
        return challenge(request, str(error))
    try:
        if action_for is None:
            return view(request, caller, **kwargs)
        action = action_for(request)
        if not action:
            return oci_error("UNSUPPORTED", f"{request.method} is not supported here.", 405)
        target = check_access(request, caller, name, action)
        if isinstance(target, HttpResponse):
            return target
        return view(request, target, **kwargs)
    except RegistryError as error:
        return oci_error(error.code, error.message, error.status, error.detail)


def check_access(request: HttpRequest, caller: Caller, name: str, action: str):
    if not valid_name(name):
        return oci_error("NAME_INVALID", f"Invalid repository name {name[:100]!r}.", 400)
    module, actions = caller.resolve(name)
    scope = f"repository:{name}:{ {'pull': 'pull', 'push': 'pull,push'}.get(action, action) }"
    if action in actions:
        return Target(caller, name, module)
    if caller.anonymous:
        return challenge(request, "Authentication required.", scope)
    if caller.granted is not None and action in allowed_actions(caller.user, None, module):
        # The registry token was asked for less than this needs: send the client back to the
        # token server for the wider scope, as the token spec says (insufficient_scope).
        return challenge(
            request, "The token does not cover this action.", scope, "insufficient_scope"
        )
    if "pull" in actions:
        return oci_error("DENIED", PUSH_DENIED.format(name=name), 403)
    return oci_error("NAME_UNKNOWN", f"Repository {name} is not known to this registry.", 404)


def by_method(**actions: str) -> Callable[[HttpRequest], str]:
    def action_for(request: HttpRequest) -> str:
        return actions.get((request.method or "GET").lower(), "")

    return action_for
