from __future__ import annotations

from rest_framework import permissions

from .models import PersonalAccessToken


class TokenScopePermission(permissions.BasePermission):
    """A token may only read with ``read`` scope and needs ``write`` for anything else."""

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, PersonalAccessToken):
            return True
        needed = "read" if request.method in permissions.SAFE_METHODS else "write"
        if token.has_scope(needed):
            return True
        self.message = f"This token lacks the '{needed}' scope."
        return False
