"""The stream server: an ASGI app that holds many idle SSE connections on one event loop.

Every viewer of one object shares a :class:`Feed`, which polls the source once per interval
and keeps the recent lines in memory; a viewer that resumes from further back reads its gap
from the source itself. Opens beyond ``max_per_client`` from one address or ``max_total``
altogether are answered 429 with Retry-After, so a stranger cannot hold every slot.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from django.core import signing
from django.db import close_old_connections

from .links import verify
from .sources import StreamLine, StreamSource, get_source

logger = logging.getLogger(__name__)

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

PAGE = 500  # lines per query
BUFFER = 5000  # lines a feed keeps in memory for viewers that join late
KEEP_ALIVE = 15.0  # seconds of silence before a comment line keeps proxies from closing
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, OPTIONS"),
    (b"access-control-allow-headers", b"last-event-id, cache-control"),
    (b"access-control-max-age", b"600"),
]


@dataclass
class Limits:
    max_total: int = 1000
    max_per_client: int = 20
    poll_seconds: float = 0.25
    max_seconds: float = 300.0
    token_ttl: float = 60.0


def _blocking(function, *args):
    """Run source code in a thread with a healthy database connection."""

    def call():
        close_old_connections()
        return function(*args)

    return asyncio.to_thread(call)


@dataclass
class Feed:
    """One object's lines and state, polled once for all of its viewers."""

    source: StreamSource
    key: str
    cursor: int  # the highest line number read so far
    numbers: list[int] = field(default_factory=list)
    lines: list[StreamLine] = field(default_factory=list)
    state: dict | None = None
    final: bool = False  # the state was final before a poll that found no new line
    gone: bool = False
    viewers: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None

    @property
    def base(self) -> int:
        """Viewers that have seen line ``base`` can be served from memory."""
        return self.numbers[0] - 1 if self.numbers else self.cursor

    def after(self, number: int) -> list[StreamLine]:
        start = bisect.bisect_right(self.numbers, number)
        return self.lines[start : start + PAGE]

    async def run(self, poll_seconds: float) -> None:
        try:
            while self.viewers > 0:
                # The state is read before the lines: a final state with no new line after it
                # means every line was written.
                state = await _blocking(self.source.state, self.key)
                new = await _blocking(self.source.lines_after, self.key, self.cursor, PAGE)
                self._add(new)
                if state is None:
                    self.gone = True
                changed = bool(new) or state != self.state or self.gone
                self.state = state
                self.final = bool(state) and self.source.is_final(state) and not new
                self.ready.set()
                if changed or self.final:
                    self.changed.set()
                    self.changed = asyncio.Event()
                if self.gone or self.final:
                    return
                if len(new) < PAGE:
                    await asyncio.sleep(poll_seconds)
        except Exception:
            logger.exception("stream feed %s failed", self.key)
            self.gone = True
            self.ready.set()
            self.changed.set()

    def _add(self, new: list[StreamLine]) -> None:
        for line in new:
            self.numbers.append(line.number)
            self.lines.append(line)
            self.cursor = line.number
        if len(self.lines) > BUFFER:
            del self.numbers[: -BUFFER // 2], self.lines[: -BUFFER // 2]


def _event(name: str, data: dict, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data)}\n\n".encode()


class StreamServer:
    """The ASGI application: ``GET /streams/<signed token>/?after=N``."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.feeds: dict[tuple[str, str], Feed] = {}
        self.open_total = 0
        self.per_client: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] == "OPTIONS":
            await self._plain(send, 204, b"")
            return
        if scope["method"] not in ("GET", "HEAD"):
            await self._plain(send, 405, b"Streams are read with GET.\n")
            return
        parts = scope["path"].strip("/").split("/")
        if len(parts) != 2 or parts[0] != "streams":
            await self._plain(send, 404, b"Not found.\n")
            return
        try:
            source_name, key = verify(parts[1], self.limits.token_ttl)
            source = get_source(source_name)
        except signing.SignatureExpired:
            await self._plain(send, 403, b"This stream link expired; reload the page.\n")
            return
        except (signing.BadSignature, LookupError, ValueError, TypeError):
            await self._plain(send, 403, b"This stream link is not valid.\n")
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if self.open_total >= self.limits.max_total:
            await self._busy(send, b"The server holds as many live streams as it may.\n")
            return
        if self.per_client[client] >= self.limits.max_per_client:
            await self._busy(send, b"Too many live streams from your address.\n")
            return
        self.open_total += 1
        self.per_client[client] += 1
        try:
            await self._stream(scope, receive, send, source, source_name, key)
        finally:
            self.open_total -= 1
            self.per_client[client] -= 1
            if self.per_client[client] <= 0:
                del self.per_client[client]

    async def _stream(self, scope, receive, send, source, source_name: str, key: str) -> None:
        after = _resume_point(scope)
        feed = self._join(source, source_name, key, after)
        disconnected = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, disconnected))
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream"),
                        (b"cache-control", b"no-cache"),
                        (b"x-accel-buffering", b"no"),
                        *CORS,
                    ],
                }
            )
            if scope["method"] == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            await self._body(send, feed, after, disconnected)
        finally:
            watcher.cancel()
            self._leave(source_name, key, feed)

    async def _body(self, send: Send, feed: Feed, after: int, disconnected: asyncio.Event):
        async def emit(chunk: bytes) -> None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        await emit(b"retry: 1000\n\n")
        await feed.ready.wait()
        sent_state: dict | None = None
        started = quiet_since = time.monotonic()
        while not disconnected.is_set():
            changed = feed.changed  # taken before reading, so no change is missed
            if after < feed.base:
                lines = await _blocking(feed.source.lines_after, feed.key, after, PAGE)
            else:
                lines = feed.after(after)
            for line in lines:
                after = line.number
                await emit(_event("line", line.data, line.number))
            if feed.gone:
                break
            if feed.state is not None and feed.state != sent_state:
                sent_state = feed.state
                await emit(_event("status", sent_state))
            if feed.final and not lines and after >= feed.cursor:
                await emit(_event("end", sent_state or {}))
                break
            now = time.monotonic()
            if lines:
                quiet_since = now
                continue
            if now - started > self.limits.max_seconds:
                break  # the browser comes back through the page, which checks access again
            if now - quiet_since > KEEP_ALIVE:
                quiet_since = now
                await emit(b": keep-alive\n\n")
            waits = [asyncio.create_task(changed.wait()), asyncio.create_task(disconnected.wait())]
            await asyncio.wait(waits, timeout=KEEP_ALIVE, return_when=asyncio.FIRST_COMPLETED)
            for task in waits:
                task.cancel()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _join(self, source: StreamSource, source_name: str, key: str, after: int) -> Feed:
        feed = self.feeds.get((source_name, key))
        if feed is None or feed.task is None or feed.task.done():
            feed = Feed(source=source, key=key, cursor=after)
            self.feeds[(source_name, key)] = feed
            feed.viewers += 1
            feed.task = asyncio.create_task(feed.run(self.limits.poll_seconds))
        else:
            feed.viewers += 1
        return feed

    def _leave(self, source_name: str, key: str, feed: Feed) -> None:
        feed.viewers -= 1
        if feed.viewers <= 0 and self.feeds.get((source_name, key)) is feed:
            del self.feeds[(source_name, key)]

    async def _busy(self, send: Send, message: bytes) -> None:
        await self._plain(send, 429, message, [(b"retry-after", b"10")])

    async def _plain(self, send: Send, status: int, body: bytes, extra=()) -> None:
        headers = [(b"content-type", b"text/plain; charset=utf-8"), *CORS, *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _resume_point(scope: Scope) -> int:
    """The later of the URL's ``after`` and the browser's Last-Event-ID."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("after", [])
    for name, value in scope.get("headers", []):
        if name == b"last-event-id":
            values.append(value.decode("latin-1"))
    numbers = [int(v) for v in values if v.isdigit() and len(v) < 12]
    return max(numbers, default=0)


async def _watch_disconnect(receive: Receive, disconnected: asyncio.Event) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            disconnected.set()
            return
