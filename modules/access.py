"""Who may read or write a hosted repository over HTTP: one rule for git and for Git LFS.

Both protocols authenticate the same way (HTTP Basic with a password, a personal token or an
internal credential) and answer the same way: a challenge (401) to anonymous clients, "not
found" (404) to users who may not see a private repository, 403 when a user may read but not
write or a token lacks the scope. Each protocol renders a ``Denied`` in its own format.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from accounts.credentials import CredentialsError, Token, check_basic, parse_basic_header
from accounts.throttle import Throttled, client_address

from .models import Module


@dataclass(frozen=True)
class Denied:
    status: int  # 401 (challenge), 403, 404 or 429 (too many failed sign-ins)
    message: str
    retry_after: int = 0


@dataclass(frozen=True)
class Caller:
    user: object | None  # accounts.User, None when anonymous
    token: Token | None


def authenticate(request: HttpRequest) -> Caller | Denied:
    """Read HTTP Basic credentials; anonymous when none were sent."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return Caller(None, None)
    try:
        parsed = parse_basic_header(header)
        if parsed is None:
            return Caller(None, None)
        user, token = check_basic(*parsed, address=client_address(request))
    except Throttled as throttled:
        return Denied(429, str(throttled), throttled.retry_after)
    except CredentialsError as error:
        return Denied(401, str(error))
    return Caller(user, token)


def authorize(
    module: Module | None, caller: Caller, write: bool, what: str = "Module"
) -> Denied | None:
    """None when ``caller`` may read (or, with ``write``, write) the repository."""
    user, token = caller.user, caller.token
    if module is None:
        if user is None:
            return Denied(401, "Authentication required.")
        return Denied(404, f"{what} not found. Create it on the hub before pushing to it.")
    if not module.can_read(user):
        if user is None:
            return Denied(401, "Authentication required.")
        return Denied(404, f"{what} not found.")
    if token is not None and not token.allows(module.credential_resource):
        return Denied(404, f"{what} not found.")
    if token is not None and not token.has_scope("write" if write else "read"):
        return Denied(403, f"This token lacks the '{'write' if write else 'read'}' scope.")
    if write:
        if user is None:
            return Denied(401, "Authentication required to push.")
        if not module.can_write(user):
            return Denied(403, f"You may not push to {module.full_name}: read access only.")
    return None
