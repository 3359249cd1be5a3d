"""Request bodies read straight from gunicorn's socket (mlreef.gunicorn_body), and durable
blob storage: byte-exact uploads, keep-alive intact, nothing left by a broken upload."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import time

import pytest
from gunicorn.http.unreader import SocketUnreader

from mlreef.gunicorn_body import DirectBody, DirectLengthReader
from modules.blobstore import BlobStore
from modules.lfs.objects import lfs_store
from modules.models import LfsObject
from tests.conftest import PASSWORD


def direct_body(held: bytes, sent: bytes, length: int) -> tuple[DirectBody, SocketUnreader]:
    """A body of ``length`` bytes whose head gunicorn already received (``held``) and whose
    rest (``sent``) is still in the socket."""
    server, client = socket.socketpair()
    client.sendall(sent)
    client.close()
    unreader = SocketUnreader(server)
    if held:
        unreader.unread(held)
    return DirectBody(DirectLengthReader(unreader, length)), unreader


def read_all_into(body: DirectBody, size: int) -> bytes:
    buffer = bytearray(size)
    out = bytearray()
    while received := body.readinto(buffer):
        out += buffer[:received]
    return bytes(out)


def test_readinto_hands_out_what_gunicorn_holds_then_the_socket_and_stops_at_the_end():
    body, unreader = direct_body(b"HEAD", b"-and-the-rest|NEXT REQUEST", 17)
    assert read_all_into(body, 5) == b"HEAD-and-the-rest"
    assert body.read(10) == b""
    assert unreader.read() == b"|NEXT REQUEST"  # the pipelined request is still there


def test_bytes_held_past_the_body_are_given_back():
    body, unreader = direct_body(b"BODY|NEXT", b"", 4)
    assert read_all_into(body, 1024) == b"BODY"
    assert unreader.read() == b"|NEXT"


def test_read_readline_and_readinto_mix():
    data = b"first line\nsecond line\n" + bytes(range(256)) * 40
    body, _ = direct_body(data[:5], data[5:], len(data))
    assert body.readline() == b"first line\n"
    assert body.read(3) == b"sec"
    rest = read_all_into(body, 1000)
    assert rest == data[14:]


def test_a_short_body_ends_early_instead_of_blocking():
    body, _ = direct_body(b"", b"only this", 100)
    assert read_all_into(body, 64) == b"only this"


def test_stored_objects_are_synced_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(source, target):
        events.append(("replace", str(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store = BlobStore(tmp_path)
    blob = store.ingest(io.BytesIO(b"durable" * 1000))
    target = store.path(blob.digest)
    kinds = [kind for kind, _ in events]
    replaced = kinds.index("replace")
    assert events[replaced][1] == str(target)
    assert any(
        kind == "fsync" and "/incoming/upload-" in path for kind, path in events[:replaced]
    ), events
    assert ("fsync", str(target.parent)) in events[replaced:], events


# -- through a real gunicorn --------------------------------------------------------------------


def raw_connection(hub) -> socket.socket:
    host, port = hub.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=60)
    return sock


def read_response(sock: socket.socket, buffered: bytearray) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length (what the hub sends here)."""
    while b"\r\n\r\n" not in buffered:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed; had {bytes(buffered)[:200]!r}"
        buffered += chunk
    head, _, rest = bytes(buffered).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = bytearray(rest)
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the body"
        body += chunk
    buffered[:] = body[length:]
    return status, bytes(body[:length])


def basic(user) -> str:
    return "Basic " + base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()


def object_path(module, oid: str) -> str:
    return f"{module.clone_path()}/info/lfs/objects/{oid}"


@pytest.mark.django_db(transaction=True)
def test_an_upload_split_anyhow_and_a_pipelined_request_are_both_answered(
    hub, public_module, people
):
    data = os.urandom(700_000)
    oid = hashlib.sha256(data).hexdigest()
    put = (
        f"PUT {object_path(public_module, oid)}?size={len(data)} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: {basic(people.owner)}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()
    get = (
        f"GET {object_path(public_module, oid)} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: {basic(people.owner)}\r\n\r\n"
    ).encode()
    with raw_connection(hub) as sock:
        sock.sendall(put + data[:1000])  # the head of the body arrives with the headers
        time.sleep(0.2)  # (not a timing assertion: only makes the two pieces separate reads)
        sock.sendall(data[1000:] + get)  # the next request right behind the body
        buffered = bytearray()
        assert read_response(sock, buffered)[0] == 200
        status, body = read_response(sock, buffered)
    assert status == 200 and body == data
    assert lfs_store().path(oid).read_bytes() == data


@pytest.mark.django_db(transaction=True)
def test_the_unread_body_of_a_refused_upload_does_not_break_the_connection(
    hub, public_module, people
):
    data = os.urandom(40_000)  # gunicorn drains up to 64 KiB of an unread body, then closes
    oid = hashlib.sha256(data).hexdigest()
    refused = (
        f"PUT {object_path(public_module, oid)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {basic(people.outsider)}\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()
    batch = b'{"operation": "download", "objects": [{"oid": "%s", "size": 1}]}' % oid.encode()
    follow = (
        f"POST {public_module.clone_path()}/info/lfs/objects/batch HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: {basic(people.owner)}\r\n"
        f"Content-Type: application/vnd.git-lfs+json\r\nContent-Length: {len(batch)}\r\n\r\n"
    ).encode()
    with raw_connection(hub) as sock:
        sock.sendall(refused + data + follow + batch)
        buffered = bytearray()
        assert read_response(sock, buffered)[0] == 403
        status, answer = read_response(sock, buffered)
    assert status == 200 and b"does not exist" in answer
    assert not lfs_store().exists(oid)


@pytest.mark.django_db(transaction=True)
def test_a_client_hanging_up_mid_upload_leaves_nothing(hub, public_module, people):
    data = os.urandom(2_000_000)
    oid = hashlib.sha256(data).hexdigest()
    put = (
        f"PUT {object_path(public_module, oid)}?size={len(data)} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: {basic(people.owner)}\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    with raw_connection(hub) as sock:
        sock.sendall(put + data[: len(data) // 2])
    # The server answers the broken upload (into the void) and logs it; wait for that line.
    deadline = time.monotonic() + 60
    while f"{oid}?size" not in hub.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f'{oid}?size={len(data)} HTTP/1.1" 400' in hub.log()
    assert not lfs_store().exists(oid) and not LfsObject.objects.filter(oid=oid).exists()
    assert not [p for p in lfs_store().incoming.glob("upload-*")]
