from __future__ import annotations

from rest_framework import authentication, exceptions

from .credentials import CredentialsError, check_token
from .throttle import Throttled, check_login, client_address, record_failure


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
        address = client_address(request)
        try:
            check_login(address)
            return check_token(raw)
        except Throttled as throttled:
            raise exceptions.Throttled(throttled.retry_after, str(throttled)) from None
        except CredentialsError as error:
            record_failure(address)
            raise exceptions.AuthenticationFailed(str(error)) from None

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
