"""Request hygiene shared by every view."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


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
