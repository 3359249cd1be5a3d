from __future__ import annotations

from rest_framework import permissions

from .internal import InternalToken
from .models import PersonalAccessToken


class TokenScopePermission(permissions.BasePermission):
    """A token may only read with ``read`` scope and needs ``write`` for anything else."""

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, PersonalAccessToken | InternalToken):
            return True
        if isinstance(token, InternalToken) and not getattr(view, "accepts_internal_tokens", False):
            # Views that take a worker's credential opt in and check token.allows() themselves.
            self.message = "Internal credentials are not accepted here."
            return False
        needed = "read" if request.method in permissions.SAFE_METHODS else "write"
        if token.has_scope(needed):
            return True
        self.message = f"This token lacks the '{needed}' scope."
        return False
