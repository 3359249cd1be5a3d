"""Reading large request bodies without buffering them."""

from __future__ import annotations

from typing import IO

from django.http import HttpRequest


def request_body(request: HttpRequest) -> IO[bytes]:
    """The request body as a stream, also when the client sent it chunked.

    Django's own stream stops at CONTENT_LENGTH (0 when the client sends chunked), so a
    chunked body is read from the WSGI server's input, which de-chunks it (gunicorn does).
    """
    if request.META.get("CONTENT_LENGTH"):
        return request
    return request.META["wsgi.input"]


def content_length(request: HttpRequest) -> int | None:
    value = request.META.get("CONTENT_LENGTH", "")
    return int(value) if value.isdigit() else None
