"""Request hygiene shared by every view."""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase

from mlreef.streams.links import public_base


class RejectNullBytesMiddleware:
    """NUL bytes in a path or query string are never meaningful here, and PostgreSQL refuses
    them in queries (a 500); answer 400 before any view sees them."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                "NUL bytes are not allowed in URLs.", content_type="text/plain"
            )
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (CONTENT_SECURITY_POLICY), plus the live stream server as a place
    pages may connect to: it listens on its own origin, which depends on the host the page
    was reached at (``mlreef.streams.links.public_base``)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            update = dict(parts.update or {})
            sources = update.get("connect-src", [])
            sources = [sources] if isinstance(sources, str) else list(sources)
            update["connect-src"] = [*sources, public_base(request)]
            parts.update = update
        return parts
