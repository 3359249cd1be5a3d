"""Live streams are served by the stream server: same events as before, capped, off gunicorn.

The ASGI app is driven in-process for the wire format and the caps; a real gunicorn with two
threads plus the real stream server shows that open streams no longer starve pages.
"""

from __future__ import annotations

import asyncio
import http.client
import urllib.request
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.db import connections

from mlreef.streams.links import SALT, sign
from mlreef.streams.server import Limits, StreamServer
from publishing.models import BaseEnvironment, LogLine, Publication, Status
from tests.helpers import start_gunicorn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def publication(public_module) -> Publication:
    environment = BaseEnvironment.objects.create(name="py", image="x", python_version="3.11")
    publication = Publication.objects.create(
        module=public_module,
        version=1,
        commit_sha="0" * 40,
        entrypoint="train.py",
        base_environment=environment,
        builder="fake",
        status=Status.BUILDING,
    )
    for number in range(1, 5):
        LogLine.objects.create(publication=publication, number=number, step="building", text="x")
    return publication


class Client:
    """One HTTP exchange with the ASGI app; ``close()`` is the browser going away."""

    def __init__(self, app, path: str, address: str = "10.0.0.1", headers=()) -> None:
        self.gone = asyncio.Event()
        self.started = asyncio.Event()
        self.status = 0
        self.body = b""
        path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
            "client": (address, 5000),
        }
        self.task = asyncio.create_task(app(scope, self._receive, self._send))

    async def _receive(self) -> dict:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.started.set()
        else:
            self.body += message.get("body", b"")

    async def close(self) -> None:
        self.gone.set()
        await asyncio.wait_for(self.task, 10)


def stream_path(publication: Publication, after: int | None = None) -> str:
    query = f"?after={after}" if after is not None else ""
    return f"/streams/{sign('publication', publication.pk)}/{query}"


async def read_to_end(app, path: str, **kwargs) -> tuple[int, str]:
    client = Client(app, path, **kwargs)
    await asyncio.wait_for(client.task, 20)
    return client.status, client.body.decode()


def test_it_streams_lines_with_ids_then_status_then_end_and_resumes(publication):
    Publication.objects.filter(pk=publication.pk).update(status=Status.PUBLISHED)
    app = StreamServer(Limits(poll_seconds=0.05))

    async def scenario():
        whole = await read_to_end(app, stream_path(publication))
        resumed = await read_to_end(app, stream_path(publication), headers=[("Last-Event-ID", "3")])
        return whole, resumed

    (status, body), (_, resumed) = asyncio.run(scenario())
    assert status == 200 and body.startswith("retry: 1000")
    assert "id: 1\nevent: line" in body and "id: 4\nevent: line" in body
    assert '"status": "published"' in body.split("event: status")[1]
    assert body.rstrip().splitlines()[-2] == "event: end"
    assert "id: 3\n" not in resumed and "id: 4\n" in resumed


def test_viewers_of_a_running_build_get_new_lines_as_they_are_written(publication):
    app = StreamServer(Limits(poll_seconds=0.05))

    async def scenario():
        early = Client(app, stream_path(publication, after=0))
        late = Client(app, stream_path(publication, after=2), address="10.0.0.2")
        await asyncio.sleep(0.3)
        await asyncio.to_thread(write_final_lines, publication)
        await asyncio.wait_for(asyncio.gather(early.task, late.task), 20)
        return early.body.decode(), late.body.decode()

    early, late = asyncio.run(scenario())
    for body in (early, late):
        assert "id: 5\nevent: line" in body and body.rstrip().endswith('"image_digest": ""}')
        assert '"status": "building"' in body and "event: end" in body
    assert "id: 1\n" in early and "id: 2\n" not in late and "id: 3\n" in late
    assert len(app.feeds) == 0  # the shared poll stops with its last viewer


def write_final_lines(publication: Publication) -> None:
    LogLine.objects.create(publication=publication, number=5, step="pushing", text="done")
    Publication.objects.filter(pk=publication.pk).update(status=Status.FAILED)
    connections.close_all()


def test_it_answers_429_beyond_the_caps_per_address_and_in_total(publication):
    app = StreamServer(Limits(max_total=2, max_per_client=1, poll_seconds=0.05))

    async def scenario():
        first = Client(app, stream_path(publication), address="10.0.0.1")
        await first.started.wait()
        same_address = await read_to_end(app, stream_path(publication), address="10.0.0.1")
        second = Client(app, stream_path(publication), address="10.0.0.2")
        await second.started.wait()
        over_total = await read_to_end(app, stream_path(publication), address="10.0.0.3")
        await first.close()
        again = Client(app, stream_path(publication), address="10.0.0.3")
        await again.started.wait()
        statuses = (first.status, second.status, again.status)
        await second.close()
        await again.close()
        return same_address, over_total, statuses, app.open_total

    same_address, over_total, statuses, still_open = asyncio.run(scenario())
    assert same_address[0] == 429 and "your address" in same_address[1]
    assert over_total[0] == 429 and "as many live streams" in over_total[1]
    assert statuses == (200, 200, 200) and still_open == 0


def test_forged_or_expired_links_are_refused(publication, monkeypatch):
    app = StreamServer(Limits(token_ttl=60))
    forged = f"/streams/{sign('publication', publication.pk)[:-2]}xx/"
    status, body = asyncio.run(read_to_end(app, forged))
    assert status == 403 and "not valid" in body
    monkeypatch.setattr(signing, "time", _clock_in(3600))
    old = f"/streams/{signing.dumps(['publication', str(publication.pk)], salt=SALT)}/"
    monkeypatch.undo()
    status, body = asyncio.run(read_to_end(app, old))
    assert status == 403 and "expired" in body
    status, _ = asyncio.run(read_to_end(app, f"/streams/{sign('nothing', '1')}/"))
    assert status == 403


def _clock_in(seconds_ago: float):
    import time as real_time

    class Clock:
        @staticmethod
        def time() -> float:
            return real_time.time() - seconds_ago

    return Clock


def test_open_streams_do_not_hold_the_threads_that_serve_pages(publication, tmp_path):
    """Regression: each SSE connection used to hold a gunicorn thread for up to 300 s."""
    with connections["default"].cursor():
        db = dict(connections["default"].settings_dict)
    hub = start_gunicorn(db, tmp_path / "hub.log", {"WEB_THREADS": "2"})
    streams = []
    try:
        events = f"{hub.url}{publication.get_absolute_url()}events/"
        for _ in range(4):  # twice the web threads
            stream = urllib.request.urlopen(events, timeout=30)
            assert stream.status == 200 and stream.url.startswith(hub.stream_url)
            assert stream.readline() == b"retry: 1000\n"
            streams.append(stream)
        for path in ("/", publication.get_absolute_url()):
            with urllib.request.urlopen(hub.url + path, timeout=30) as page:
                assert page.status == 200
        stream_address = urlsplit(hub.stream_url)
        direct = http.client.HTTPConnection(stream_address.hostname, stream_address.port)
        direct.request("GET", stream_path(publication))
        assert direct.getresponse().status == 200
        direct.close()
    finally:
        for stream in streams:
            stream.close()
        hub.stop()
