"""Checking the credentials that git clients and API clients present.

Git sends HTTP Basic with a username and a password that may also be a personal access token;
API clients send ``Authorization: Bearer <token>``. Both paths end here so the rules are one.
"""

from __future__ import annotations

import base64
import binascii

from django.contrib.auth import authenticate

from .internal import (
    INTERNAL_TOKEN_PREFIX,
    InternalToken,
    InvalidInternalToken,
    verify_internal_token,
)
from .models import TOKEN_PREFIX, PersonalAccessToken, User
from .throttle import (
    check_login,
    password_fingerprint,
    record_failure,
    remember,
    remembered_user_id,
)

# What a credential may carry besides a password: a personal token or an internal one.
Token = PersonalAccessToken | InternalToken


class CredentialsError(Exception):
    """The client sent credentials that cannot be accepted; the message says why."""


def check_internal_token(raw: str) -> tuple[User, InternalToken]:
    try:
        token = verify_internal_token(raw)
    except InvalidInternalToken as error:
        raise CredentialsError(str(error)) from None
    user = User.objects.filter(pk=token.user_id, is_active=True).first()
    if user is None:
        raise CredentialsError("The account behind this internal credential is gone or disabled.")
    return user, token


def check_token(raw: str) -> tuple[User, Token]:
    if raw.startswith(INTERNAL_TOKEN_PREFIX):
        return check_internal_token(raw)
    token = PersonalAccessToken.lookup(raw)
    if token is None:
        raise CredentialsError("Invalid token.")
    if token.revoked_at is not None:
        raise CredentialsError("This token has been revoked.")
    if token.is_expired:
        raise CredentialsError("This token has expired.")
    if not token.user.is_active:
        raise CredentialsError("This account is disabled.")
    token.mark_used()
    return token.user, token


def check_basic(
    username: str, secret: str, address: str | None = None
) -> tuple[User, Token | None]:
    """Username + password or token. With the client's ``address``, failures are counted and
    a throttled client is refused (Throttled) before any password is hashed."""
    if address is not None:
        check_login(address, username)
    try:
        return _check_basic(username, secret)
    except CredentialsError:
        if address is not None:
            record_failure(address, username)
        raise


def _check_basic(username: str, secret: str) -> tuple[User, Token | None]:
    if secret.startswith((TOKEN_PREFIX, INTERNAL_TOKEN_PREFIX)):
        user, token = check_token(secret)
        # An internal credential names its user itself; workers may send any username.
        if (
            isinstance(token, PersonalAccessToken)
            and username
            and username.lower() != user.username
        ):
            raise CredentialsError("The token does not belong to this user.")
        return user, token
    remembered = remembered_user_id(username, secret)
    if remembered is not None:
        user = User.objects.filter(pk=remembered[0], is_active=True).first()
        if user is not None and password_fingerprint(user.password) == remembered[1]:
            return user, None
    user = authenticate(username=username.lower(), password=secret)
    if user is None:
        raise CredentialsError("Invalid username or password.")
    remember(username, secret, user.pk, user.password)
    return user, None


def parse_basic_header(header: str) -> tuple[str, str] | None:
    """Split an ``Authorization: Basic ...`` header; None when it is not Basic."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise CredentialsError("Malformed Basic credentials.") from None
    username, sep, secret = decoded.partition(":")
    if not sep:
        raise CredentialsError("Malformed Basic credentials.")
    return username, secret
