"""Limits on guessing: failed sign-ins per client address and per username, sign-ups per address.

Why: every password check costs a deliberately slow hash (also for users that do not exist), so
unlimited guessing is both a brute-force and a CPU exhaustion attack. Past a limit the
credentials are not even checked and the client is told when to come back (429).

Counters live in Django's cache (``CACHE_URL``; by default files in DATA_DIR shared by every
process on the machine) in fixed windows; they are approximate under races, which is all a
throttle needs.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass
class Throttled(Exception):  # noqa: N818 - reads as a state: the client is throttled
    """Too many attempts; ``retry_after`` seconds until the window ends."""

    message: str
    retry_after: int

    def __str__(self) -> str:
        return self.message


def client_address(request: HttpRequest) -> str:
    """The client's address: the peer, or behind TRUSTED_PROXIES the last address in
    X-Forwarded-For that is not one of them (earlier entries can be forged by the client)."""
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not settings.TRUSTED_PROXIES or peer not in settings.TRUSTED_PROXIES:
        return peer
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed(forwarded):
        if address and address not in settings.TRUSTED_PROXIES and _is_ip(address):
            return address
    return peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _key(kind: str, ident: str, window: int) -> tuple[str, int]:
    now = int(time.time())
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"throttle:{kind}:{digest}:{now // window}", window - now % window


def _count(kind: str, ident: str, window: int) -> tuple[int, int]:
    key, left = _key(kind, ident, window)
    return int(cache.get(key, 0)), left


def _add(kind: str, ident: str, window: int) -> None:
    key, _ = _key(kind, ident, window)
    if not cache.add(key, 1, window + 1):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, window + 1)


def check_login(address: str, username: str = "") -> None:
    """Raise Throttled when this address or this username failed too often lately."""
    window = settings.LOGIN_FAILURE_WINDOW
    failures, left = _count("address", address, window)
    if failures >= settings.LOGIN_FAILURES_PER_ADDRESS:
        raise Throttled(f"Too many failed sign-ins from your address; try again in {left} s.", left)
    if username:
        failures, left = _count("username", username.lower(), window)
        if failures >= settings.LOGIN_FAILURES_PER_USER:
            raise Throttled(
                f"Too many failed sign-ins for '{username}'; try again in {left} s.", left
            )


def record_failure(address: str, username: str = "") -> None:
    window = settings.LOGIN_FAILURE_WINDOW
    _add("address", address, window)
    if username:
        _add("username", username.lower(), window)


def check_signup(address: str) -> None:
    """Count a sign-up attempt from ``address``; raise Throttled past the hourly limit."""
    check_hourly("signup", address, "sign-ups")


def check_hourly(kind: str, address: str, what: str) -> None:
    """Count one ``kind`` of request (sign-up, password reset e-mail) from ``address``;
    raise Throttled past SIGNUPS_PER_ADDRESS in the hour."""
    count, left = _count(kind, address, 3600)
    if count >= settings.SIGNUPS_PER_ADDRESS:
        raise Throttled(f"Too many {what} from your address; try again in {left} s.", left)
    _add(kind, address, 3600)


# -- remembering good git passwords briefly ----------------------------------------------------
# A clone or push makes several requests, each with the password: without this each one pays
# the slow hash. Only an HMAC of the credentials is kept, bound to the stored password hash, so
# changing the password ends every remembered entry.
def _mac(*parts: str) -> str:
    message = "\0".join(parts).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def remembered_user_id(username: str, secret: str) -> tuple[int, str] | None:
    if settings.GIT_CREDENTIAL_CACHE_SECONDS <= 0:
        return None
    return cache.get(f"credential:{_mac('password', username.lower(), secret)}")


def remember(username: str, secret: str, user_id: int, password_hash: str) -> None:
    if settings.GIT_CREDENTIAL_CACHE_SECONDS > 0:
        cache.set(
            f"credential:{_mac('password', username.lower(), secret)}",
            (user_id, password_fingerprint(password_hash)),
            settings.GIT_CREDENTIAL_CACHE_SECONDS,
        )


def password_fingerprint(password_hash: str) -> str:
    return _mac("hash", password_hash)[:32]
