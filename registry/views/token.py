"""``GET /v2/`` and the token server of the Docker token authentication spec."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.credentials import CredentialsError, check_basic, parse_basic_header
from accounts.internal import InternalToken
from accounts.throttle import Throttled, client_address

from .. import tokens
from ..access import allowed_actions, find_module
from .base import AuthenticationFailed, authenticate, challenge, json_response, oci_error


@csrf_exempt
def base(request: HttpRequest) -> HttpResponse:
    """Clients probe this first: 200 when the credentials are good, else the challenge."""
    try:
        caller = authenticate(request)
    except AuthenticationFailed as error:
        return challenge(request, str(error))
    if caller.anonymous:
        return challenge(request, "Authentication required.")
    return json_response({})


def _requested_scopes(request: HttpRequest) -> list[str]:
    values = request.GET.getlist("scope") or request.POST.getlist("scope")
    return [scope for value in values for scope in value.split(" ") if scope]


def grant(user, token, scopes: list[str]) -> list[dict]:
    """The ``access`` claims: of each requested action, only those this caller may do."""
    access = []
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, wanted = rest.rpartition(":")
        if kind == "registry" and name == "catalog":
            access.append({"type": "registry", "name": "catalog", "actions": ["*"]})
            continue
        if kind != "repository" or not name:
            continue
        requested = {action.strip() for action in wanted.split(",") if action.strip()}
        if "*" in requested:
            requested = {"pull", "push", "delete"}
        actions = allowed_actions(user, token, find_module(name)) & requested
        access.append({"type": "repository", "name": name, "actions": sorted(actions)})
    return access


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    user = credential = None
    form = request.POST if request.method == "POST" else request.GET
    try:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        parsed = parse_basic_header(header) if header else None
        grant_type = request.POST.get("grant_type") if request.method == "POST" else None
        if grant_type == "refresh_token":
            user, credential = tokens.verify_refresh(request.POST.get("refresh_token", ""))
        elif parsed is None and grant_type == "password":
            # OAuth2 password grant, as containerd and some other clients send it.
            parsed = (request.POST.get("username", ""), request.POST.get("password", ""))
        if parsed is not None:
            user, credential = check_basic(*parsed, address=client_address(request))
    except (CredentialsError, Throttled, tokens.InvalidRegistryToken) as error:
        return oci_error("UNAUTHORIZED", str(error), 401)
    service = request.GET.get("service") or request.POST.get("service") or ""
    if service and service not in (settings.REGISTRY_TOKEN_SERVICE,):
        return oci_error("DENIED", f"This hub issues no tokens for service {service[:100]!r}.", 400)
    access = grant(user, credential, _requested_scopes(request))
    signed, ttl = tokens.issue(
        user.username if user else "", access, settings.REGISTRY_TOKEN_SERVICE
    )
    issued = datetime.datetime.now(datetime.UTC).isoformat()
    body = {"token": signed, "access_token": signed, "expires_in": ttl, "issued_at": issued}
    offline = form.get("offline_token") == "true" or form.get("access_type") == "offline"
    if user is not None and offline and not isinstance(credential, InternalToken):
        # docker login keeps this and trades it for access tokens: no password hash per pull.
        body["refresh_token"] = tokens.issue_refresh(user, getattr(credential, "pk", None))
    return json_response(body)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return oci_error("NAME_UNKNOWN", "Nothing is served at this address of the registry.", 404)
