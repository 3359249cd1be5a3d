"""The web side of a stream: after the view checked access, send the client to the stream
server with a signed, short-lived URL that names exactly one object of one source."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

SALT = "mlreef.streams"


def sign(source: str, key: str) -> str:
    return signing.dumps([source, str(key)], salt=SALT, compress=False)


def verify(token: str, max_age: float) -> tuple[str, str]:
    """(source, key) of a token not older than ``max_age`` seconds; raises BadSignature
    (SignatureExpired for an old one)."""
    source, key = signing.loads(token, salt=SALT, max_age=max_age)
    return str(source), str(key)


def public_base(request: HttpRequest) -> str:
    """Where browsers reach the stream server: STREAM_PUBLIC_URL, or the page's host name on
    the port of STREAM_BIND."""
    if settings.STREAM_PUBLIC_URL:
        return settings.STREAM_PUBLIC_URL
    port = settings.STREAM_BIND.rsplit(":", 1)[-1]
    host = urlsplit(f"//{request.get_host()}").hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{request.scheme}://{host}:{port}"


def last_event_id(request: HttpRequest) -> int:
    value = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    return int(value) if value.isdigit() and len(value) < 12 else 0


def redirect_to_stream(request: HttpRequest, source: str, key: str | int) -> HttpResponse:
    """307 to the stream of ``key`` in ``source``, resuming after the client's last event."""
    query = urlencode({"after": last_event_id(request)})
    response = HttpResponse(status=307)
    response["Location"] = f"{public_base(request)}/streams/{sign(source, str(key))}/?{query}"
    response["Cache-Control"] = "no-store"
    return response
