"""Users and their personal access tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

# Usernames are URL namespaces (/<username>/<module>), so they share the module slug alphabet
# and may not shadow the platform's own top-level paths.
RESERVED_NAMES = frozenset(
    {
        "about",
        "accounts",
        "admin",
        "api",
        "assets",
        "experiments",
        "explore",
        "git",
        "help",
        "library",
        "login",
        "logout",
        "media",
        "new",
        "profile",
        "settings",
        "signup",
        "static",
        "users",
        "publish",
        "publications",
        "pipelines",
        "registry",
        "v2",
        "health",
    }
)
username_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,38}$",
    "Use 1-39 lowercase letters, digits, '-' or '_', starting with a letter or digit.",
)


def validate_not_reserved(value: str) -> None:
    from django.core.exceptions import ValidationError

    if value.lower() in RESERVED_NAMES:
        raise ValidationError(f"'{value}' is reserved by the platform; choose another name.")


class User(AbstractUser):
    username = models.CharField(
        max_length=39,
        unique=True,
        validators=[username_validator, validate_not_reserved],
        help_text="Your namespace: modules live at /<username>/<module>.",
        error_messages={"unique": "A user with that username already exists."},
    )

    def save(self, *args, **kwargs) -> None:
        self.username = self.username.lower()
        super().save(*args, **kwargs)

    @property
    def commit_email(self) -> str:
        """The e-mail on commits the platform makes for this user (git needs one)."""
        return self.email or f"{self.username}@users.noreply.mlreef"


TOKEN_PREFIX = "mlr_"
TOKEN_SCOPES = ("read", "write")


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (a slow KDF buys nothing).
    return hashlib.sha256(raw.encode()).hexdigest()


class PersonalAccessToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_start = models.CharField(max_length=12, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_start}…)"

    @classmethod
    def issue(
        cls, user: User, name: str, scopes: list[str], expires_at=None
    ) -> tuple[PersonalAccessToken, str]:
        """Create a token and return it with its secret, which is never stored nor shown again."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            token_hash=hash_token(raw),
            token_start=raw[:12],
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
        return token, raw

    @classmethod
    def lookup(cls, raw: str) -> PersonalAccessToken | None:
        return cls.objects.select_related("user").filter(token_hash=hash_token(raw)).first()

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "expired" if self.is_expired else "active"

    def has_scope(self, scope: str) -> bool:
        # write implies read: a token that may push may also clone.
        return scope in self.scopes or (scope == "read" and "write" in self.scopes)

    def allows(self, resource: str) -> bool:
        """Personal tokens reach whatever their user may reach (internal ones are narrower)."""
        return True

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def mark_used(self) -> None:
        """Record use, at most once a minute, so busy clients don't write on every request."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > timedelta(minutes=1):
            self.last_used_at = now
            PersonalAccessToken.objects.filter(pk=self.pk).update(last_used_at=now)
