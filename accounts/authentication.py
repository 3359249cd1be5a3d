from __future__ import annotations

from rest_framework import authentication, exceptions

from .credentials import CredentialsError, check_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <personal access token>``; request.auth is the token."""

    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword:
            return None
        raw = raw.strip()
        if not raw:
            raise exceptions.AuthenticationFailed("No token given after 'Bearer'.")
        try:
            return check_token(raw)
        except CredentialsError as error:
            raise exceptions.AuthenticationFailed(str(error)) from None

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
