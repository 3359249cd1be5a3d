"""Blobs and blob uploads (monolithic, mount, streamed and chunked sessions)."""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse

from mlreef.http_body import content_length, request_body

from .. import services
from ..access import find_module
from ..models import Repository, UploadSession
from ..storage import blob_store
from .base import API_VERSION, Target, by_method, empty, oci_error, registry_view

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _blob_headers(response: HttpResponse, digest: str, size: int) -> HttpResponse:
    response["Docker-Content-Digest"] = digest
    response["Docker-Distribution-API-Version"] = API_VERSION
    response["Accept-Ranges"] = "bytes"
    response["Content-Type"] = "application/octet-stream"
    response["Content-Length"] = str(size)
    return response


@registry_view(by_method(get="pull", head="pull", delete="delete"))
def blob(request: HttpRequest, target: Target, digest: str) -> HttpResponse:
    if request.method == "DELETE":
        services.delete_blob(target.repository, digest)
        return empty(202)
    link = services.find_module_blob(target.module, digest)
    size = link.size
    if request.method == "HEAD":
        return _blob_headers(HttpResponse(), link.digest, size)
    wanted = request.META.get("HTTP_RANGE", "")
    if wanted:
        match = _RANGE.match(wanted.strip())
        start, end = _byte_range(match, size) if match else (None, None)
        if start is None:
            response = oci_error("BLOB_UNKNOWN", f"Range {wanted[:50]!r} not satisfiable.", 416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        response = StreamingHttpResponse(
            blob_store().iter_range(link.digest, start, end), status=206
        )
        _blob_headers(response, link.digest, end - start + 1)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        return response
    # FileResponse lets gunicorn send the file with sendfile(): no copy through Python.
    response = FileResponse(blob_store().open(link.digest))
    return _blob_headers(response, link.digest, size)


def _byte_range(match: re.Match, size: int) -> tuple[int | None, int | None]:
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None, None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return None, None
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return None, None
    return start, end


def _has_repository(module) -> bool:
    return Repository.objects.filter(module=module).exists()


def _session_headers(name: str, session: UploadSession, size: int) -> dict[str, str]:
    return {
        "Location": f"/v2/{name}/blobs/uploads/{session.pk}",
        "Range": f"0-{max(size - 1, 0)}",
        "Docker-Upload-UUID": str(session.pk),
    }


def _created(name: str, digest: str) -> HttpResponse:
    return empty(201, {"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest})


@registry_view(by_method(post="push"))
def upload_start(request: HttpRequest, target: Target) -> HttpResponse:
    repository = services.repository_for(target.module)
    digest = request.GET.get("digest")
    mount = request.GET.get("mount")
    if "digest-algorithm" in request.GET:  # the session's digest (at PUT) must use it
        services.check_algorithm(request.GET["digest-algorithm"])
    if mount:
        source_name = request.GET.get("from", "")
        if source_name:
            module = find_module(source_name)
            readable = module is not None and target.caller.may_list(module)
            sources = [module.image_repository] if readable and _has_repository(module) else []
        else:  # automatic content discovery: any repository this user may read
            sources = services.repositories_holding(mount, target.caller.may_list)
        if any(services.mount_blob(repository, mount, source) for source in sources):
            return _created(target.name, services.check_digest(mount))
    elif digest:
        stored = services.ingest_blob(
            repository, request_body(request), digest, content_length(request)
        )
        return _created(target.name, stored)
    session = services.start_upload(repository)
    return empty(202, _session_headers(target.name, session, 0))


@registry_view(by_method(get="push", patch="push", put="push", delete="push"))
def upload_session(request: HttpRequest, target: Target, session_id: str) -> HttpResponse:
    session = services.find_upload(services.repository_for(target.module), session_id)
    if request.method == "GET":
        size = services.upload_size(session)
        return empty(204, _session_headers(target.name, session, size))
    if request.method == "DELETE":
        services.cancel_upload(session)
        return empty(204)
    length = content_length(request)
    content_range = request.META.get("HTTP_CONTENT_RANGE")
    if request.method == "PATCH":
        size = services.append_chunk(session, request_body(request), content_range, length)
        return empty(202, _session_headers(target.name, session, size))
    digest = request.GET.get("digest")
    if not digest:
        return oci_error("DIGEST_INVALID", "Finish an upload with PUT ?digest=<digest>.", 400)
    if length or content_range or not request.META.get("CONTENT_LENGTH"):
        services.append_chunk(session, request_body(request), content_range, length)
    stored = services.finish_upload(session, digest)
    return _created(target.name, stored)
