"""Reading large request bodies without buffering them."""

from __future__ import annotations

from typing import IO

from django.http import HttpRequest

from mlreef.gunicorn_body import DirectBody


def request_body(request: HttpRequest) -> IO[bytes]:
    """The request body as a stream, also when the client sent it chunked.

    Under gunicorn a body of known length is a ``DirectBody`` (``mlreef.gunicorn_body``): it
    stops at the body's end by itself and has ``readinto``, so it is handed out as it is and
    callers can receive straight into their own buffer. Otherwise Django's stream, which stops
    at CONTENT_LENGTH; that is 0 when the client sends chunked, so a chunked body is read from
    the WSGI server's input, which de-chunks it (gunicorn does).
    """
    stream = request.META.get("wsgi.input")
    if request.META.get("CONTENT_LENGTH"):
        if isinstance(stream, DirectBody) and not hasattr(request, "_body"):
            return stream  # what Django read of it (nothing, usually) is already consumed
        return request
    return stream


def content_length(request: HttpRequest) -> int | None:
    value = request.META.get("CONTENT_LENGTH", "")
    return int(value) if value.isdigit() else None
