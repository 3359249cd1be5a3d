"""Request bodies of known length read straight from the socket (gunicorn's ``pre_request``).

Gunicorn reads a body through buffers of its own: each ``read(n)`` of ``wsgi.input`` receives
up to 1 MiB, then copies what it received through two ``BytesIO`` buffers and pushes what the
caller did not ask for back in front of the next read. Reading a 1 GiB upload 64 KiB at a
time so copied about 16 bytes per byte received and cost ~10 s of CPU (measured with
py-spy: two thirds of the worker's time was in ``Unreader.read``).

``pre_request`` (a documented server hook, run before ``wsgi.input`` is built) swaps the body
of a request with a ``Content-Length`` for one whose reader asks the kernel for exactly what
the caller wants, up to what is left of the body: ``read(n)`` is one ``recv`` and
``readinto(buffer)`` one ``recv_into`` into the caller's buffer, so the bytes are copied
once, from the socket into the buffer that is then hashed and written. Bytes gunicorn had
already received with the headers are handed out first, and anything past the body (a
pipelined request) is given back, so keep-alive works as before. Chunked bodies (git pushes
over the post buffer, some registry clients) keep gunicorn's reader; they are framed, and
gunicorn already reads them a chunk at a time.

Relies on gunicorn's ``Body``/``LengthReader``/``SocketUnreader`` (pinned in requirements);
anything else is left untouched, so an unexpected version only loses the speed.
"""

from __future__ import annotations

from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader


class DirectLengthReader(LengthReader):
    """A ``LengthReader`` whose reads go to the socket with the caller's size."""

    def read(self, size: int) -> bytes:
        size = min(self.length, size)
        if size <= 0:
            return b""
        data = self._buffered(size)
        if data is None:
            data = self.unreader.sock.recv(size)
        self.length -= len(data)
        return data

    def readinto(self, view: memoryview) -> int:
        size = min(self.length, len(view))
        if size <= 0:
            return 0
        data = self._buffered(size)
        if data is None:
            received = self.unreader.sock.recv_into(view[:size])
        else:
            received = len(data)
            view[:received] = data
        self.length -= received
        return received

    def _buffered(self, size: int) -> bytes | None:
        """Up to ``size`` bytes gunicorn already received (with the headers, or a drain's
        read-ahead); None when it holds none. The rest stays buffered for the next read."""
        held = self.unreader.take_buffered()
        if not held:
            return None
        if len(held) > size:
            self.unreader.unread(held[size:])
            return held[:size]
        return held


class DirectBody(Body):
    """gunicorn's ``Body`` (``read``, ``readline``, iteration) plus ``readinto``."""

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        if self.buf.tell():  # what a readline() read ahead comes first
            data = self.read(len(view))
            view[: len(data)] = data
            return len(data)
        try:
            return self.reader.readinto(view)
        except Exception:
            self.failed = True
            raise


def pre_request(worker, req) -> None:
    """Gunicorn server hook: read bodies of known length directly (see the module doc)."""
    worker.log.debug("%s %s", req.method, req.path)
    body = getattr(req, "body", None)
    reader = getattr(body, "reader", None)
    if type(body) is Body and type(reader) is LengthReader and not body.buf.tell():
        unreader = reader.unreader
        if isinstance(unreader, SocketUnreader) and hasattr(unreader, "take_buffered"):
            req.body = DirectBody(DirectLengthReader(unreader, reader.length))
