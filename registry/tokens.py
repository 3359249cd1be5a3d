"""Signed bearer tokens of the Docker token authentication spec.

The hub is the token server: ``/v2/token`` checks a user's credentials and hands out a
short-lived JWT whose ``access`` claims list only the actions that user may do. The built-in
registry verifies them, and so can an external CNCF distribution registry configured with
``auth: token`` and the hub's certificate (``manage.py registry_certificate``). The signing
key and its self-signed certificate are generated once into DATA_DIR, like the secret key.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core import signing

ALGORITHM = "ES256"


@dataclass(frozen=True)
class SigningKey:
    private_pem: bytes
    certificate_pem: bytes

    @property
    def certificate_der_b64(self) -> str:
        certificate = x509.load_pem_x509_certificate(self.certificate_pem)
        return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()

    @property
    def public_key(self):
        return x509.load_pem_x509_certificate(self.certificate_pem).public_key()


def _write_once(path: Path, data: bytes) -> None:
    """Create ``path`` atomically unless it exists: racing processes agree on one file."""
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(data)
    os.chmod(handle.name, 0o600)
    try:
        os.link(handle.name, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(handle.name)


def _generate() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MLReef registry token signer")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private_pem, certificate.public_bytes(serialization.Encoding.PEM)


@cache
def _load(folder: str) -> SigningKey:
    key_path = Path(folder) / "registry-token.pem"
    if not key_path.exists():
        private_pem, certificate_pem = _generate()
        _write_once(key_path, private_pem + certificate_pem)
    data = key_path.read_bytes()
    marker = b"-----BEGIN CERTIFICATE-----"
    private_pem, _, rest = data.partition(marker)
    return SigningKey(private_pem=private_pem, certificate_pem=marker + rest)


def signing_key() -> SigningKey:
    return _load(str(settings.DATA_DIR))


def issue(subject: str, access: list[dict], audience: str) -> tuple[str, int]:
    """A JWT for ``subject`` (empty: anonymous) granting ``access``; returns it and its TTL."""
    key = signing_key()
    now = int(time.time())
    ttl = settings.REGISTRY_TOKEN_TTL
    claims = {
        "iss": settings.REGISTRY_TOKEN_ISSUER,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "nbf": now - 10,
        "exp": now + ttl,
        "jti": secrets.token_urlsafe(16),
        "access": access,
    }
    headers = {"x5c": [key.certificate_der_b64], "typ": "JWT"}
    token = jwt.encode(claims, key.private_pem, algorithm=ALGORITHM, headers=headers)
    return token, ttl


class InvalidRegistryToken(Exception):
    pass


def verify(token: str) -> dict:
    """The claims of a token this hub signed for its own registry; raises when not valid."""
    try:
        return jwt.decode(
            token,
            signing_key().public_key,
            algorithms=[ALGORITHM],
            audience=settings.REGISTRY_TOKEN_SERVICE,
            issuer=settings.REGISTRY_TOKEN_ISSUER,
            options={"require": ["exp", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidRegistryToken("The registry token has expired; log in again.") from None
    except jwt.InvalidTokenError as error:
        raise InvalidRegistryToken(f"Invalid registry token: {error}") from None


# -- refresh tokens (docker login's "identity token") ----------------------------------------
# ``docker login`` asks for an offline token once; afterwards the engine trades it for access
# tokens, so a pull costs no password hash. It names the user and how they logged in: a
# personal token must still be active, a password must still be the current one.
REFRESH_SALT = "mlreef.registry-refresh"
REFRESH_TTL_SECONDS = 30 * 24 * 3600


def _password_mark(user) -> str:
    return hashlib.sha256(f"{user.pk}:{user.password}".encode()).hexdigest()[:20]


def issue_refresh(user, token_id: int | None) -> str:
    payload = {"u": user.pk, "t": token_id, "p": None if token_id else _password_mark(user)}
    return signing.dumps(payload, salt=REFRESH_SALT, compress=True)


def verify_refresh(raw: str):
    """(user, personal token or None) for a refresh token still valid; raises otherwise."""
    from accounts.models import PersonalAccessToken, User

    try:
        payload = signing.loads(raw, salt=REFRESH_SALT, max_age=REFRESH_TTL_SECONDS)
    except signing.BadSignature:
        raise InvalidRegistryToken("Invalid or expired refresh token; log in again.") from None
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None:
        raise InvalidRegistryToken("The account behind this token is gone or disabled.")
    if payload.get("t"):
        token = PersonalAccessToken.objects.filter(pk=payload["t"], user=user).first()
        if token is None or not token.is_active:
            raise InvalidRegistryToken("The personal token you logged in with is revoked.")
        return user, token
    if payload.get("p") != _password_mark(user):
        raise InvalidRegistryToken("The password changed since this login; log in again.")
    return user, None
