"""The basic transfer adapter: PUT an object, GET it back, and verify an upload.

Uploads stream from the request (chunked bodies from the WSGI input) into the blob store while
they are hashed; a wrong hash or size is refused and leaves no file and no row. Downloads are
file responses, which gunicorn sends with ``sendfile``.
"""

from __future__ import annotations

import logging

from django.http import FileResponse, HttpRequest, HttpResponse

from mlreef.http_body import request_body

from .. import quota
from ..blobstore import BlobError
from . import objects
from .pointers import valid_oid
from .protocol import Context, ProtocolError, answer, error, lfs_view, read_json

logger = logging.getLogger(__name__)


def _checked_oid(oid: str) -> str:
    if not valid_oid(oid):
        raise ProtocolError(422, "The oid must be 64 lowercase hexadecimal digits (sha256).")
    return oid


def _declared_size(request: HttpRequest) -> int | None:
    raw = request.GET.get("size")
    if raw is None:
        return None
    if not raw.isdigit():
        raise ProtocolError(422, "The size must be a non-negative integer.")
    return int(raw)


def _upload(request: HttpRequest, context: Context, oid: str) -> HttpResponse:
    size = _declared_size(request)
    length = request.META.get("CONTENT_LENGTH") or ""
    if size is not None and length.isdigit() and int(length) != size:
        return error(400, f"Upload refused: the body has {length} bytes, the object {size}.")
    try:
        objects.store_object(context.module, request_body(request), oid=oid, size=size)
    except BlobError as refusal:
        logger.info("LFS upload to %s refused: %s", context.module.full_name, refusal)
        # 400, not 422: git-lfs reads a 422 on upload as a Content-Type problem and carries on.
        return error(400, f"Upload refused: {refusal}")
    except quota.QuotaExceeded as refusal:
        return error(507, str(refusal))
    except OSError as failure:  # client went away mid-body: nothing was kept
        logger.info("LFS upload to %s ended early: %s", context.module.full_name, failure)
        return error(400, "The upload ended before the whole object arrived.")
    return HttpResponse(status=200)


def _download(context: Context, oid: str) -> HttpResponse:
    obj = objects.referenced(context.module, oid)
    if obj is None:
        return error(404, "Object does not exist on the server.")
    response = FileResponse(objects.lfs_store().open(oid), content_type="application/octet-stream")
    response["Content-Length"] = str(obj.size)
    return response


@lfs_view(write=lambda request: request.method == "PUT", methods=("GET", "PUT"))
def object_view(request: HttpRequest, context: Context, oid: str) -> HttpResponse:
    oid = _checked_oid(oid)
    if request.method == "PUT":
        return _upload(request, context, oid)
    return _download(context, oid)


@lfs_view(write=True, methods=("POST",))
def verify(request: HttpRequest, context: Context, oid: str) -> HttpResponse:
    """The client asks whether the upload arrived whole; answer from the repository's rows."""
    oid = _checked_oid(oid)
    body = read_json(request)
    obj = objects.referenced(context.module, oid)
    if obj is None or body.get("oid", oid) != oid:
        return error(404, "Object does not exist on the server.")
    if body.get("size") != obj.size:
        return error(422, f"The object has {obj.size} bytes, not {body.get('size')}.")
    return answer({"oid": oid, "size": obj.size})
