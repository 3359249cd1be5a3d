"""Short-lived credentials the platform hands its own workers.

A build or run worker may live on another machine with no disk shared with the web server. It
reaches the hub over HTTP like any client (git, Git LFS, the registry, artifact upload), with a
credential that acts for one user, on named resources only, for minutes. The credential is a
signed token, so no database row is written per build and a worker needs nothing but the token.

Resources are plain strings owned by the app that checks them, e.g. ``repo:<module pk>`` for
git and LFS on one repository, ``registry:<namespace>/<slug>`` for pushing one image
repository. Scopes are ``read`` and ``write`` (write implies read), as for personal tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core import signing

INTERNAL_TOKEN_PREFIX = "mlri_"
_SALT = "mlreef.internal-credential"
DEFAULT_TTL_SECONDS = 3600


class InvalidInternalToken(Exception):
    """The token is malformed, forged or expired; the message says which."""


@dataclass(frozen=True)
class InternalToken:
    """What a verified internal credential allows; duck-types ``PersonalAccessToken``."""

    user_id: int | None
    scopes: frozenset[str]
    resources: frozenset[str]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes or (scope == "read" and "write" in self.scopes)

    def allows(self, resource: str) -> bool:
        return resource in self.resources

    def mark_used(self) -> None:
        """Nothing to record: internal credentials have no database row."""


def issue_internal_token(
    user,
    resources: Iterable[str],
    scopes: Iterable[str] = ("read",),
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> str:
    """Sign a credential for ``user`` (None: the platform itself) on ``resources``."""
    payload = {
        "u": getattr(user, "pk", None),
        "s": sorted(set(scopes)),
        "r": sorted(set(resources)),
        "t": ttl_seconds,
    }
    return INTERNAL_TOKEN_PREFIX + signing.dumps(payload, salt=_SALT, compress=True)


def verify_internal_token(raw: str) -> InternalToken:
    if not raw.startswith(INTERNAL_TOKEN_PREFIX):
        raise InvalidInternalToken("Not an internal credential.")
    body = raw[len(INTERNAL_TOKEN_PREFIX) :]
    try:
        # The lifetime is inside the signed payload; read it, then check the age against it.
        payload = signing.loads(body, salt=_SALT)
        signing.loads(body, salt=_SALT, max_age=int(payload["t"]))
    except signing.SignatureExpired:
        raise InvalidInternalToken("This internal credential has expired.") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidInternalToken("Invalid internal credential.") from None
    return InternalToken(
        user_id=payload.get("u"),
        scopes=frozenset(payload.get("s") or ()),
        resources=frozenset(payload.get("r") or ()),
    )
