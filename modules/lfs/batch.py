"""The batch API: the client names objects, the server answers where to send or fetch each.

``POST …/info/lfs/objects/batch`` with ``{"operation": "upload"|"download", "objects": [...]}``.
Uploads need write access and download read access, as git push and fetch do. An upload the
repository already references needs no transfer; anything else is uploaded to this
repository, even when the store holds the bytes already (that proves the client has them).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from .. import quota
from . import objects
from .pointers import valid_oid
from .protocol import Context, ProtocolError, answer, error, lfs_view, read_json

MAX_OBJECTS = 1000


def _wants_upload(request: HttpRequest) -> bool:
    # The operation decides the access needed, so the body is read before access is checked;
    # it is kept on the request for the view.
    request.lfs_body = read_json(request)
    return request.lfs_body.get("operation") == "upload"


def _requested(body: dict) -> list[dict]:
    if body.get("operation") not in ("upload", "download"):
        raise ProtocolError(422, "The operation must be 'upload' or 'download'.")
    transfers = body.get("transfers") or ["basic"]
    if not isinstance(transfers, list) or "basic" not in transfers:
        raise ProtocolError(422, "Only the 'basic' transfer adapter is supported.")
    if body.get("hash_algo", "sha256") != "sha256":
        raise ProtocolError(409, "Only sha256 object ids are supported.")
    requested = body.get("objects")
    if not isinstance(requested, list) or not requested:
        raise ProtocolError(422, "'objects' must be a non-empty list.")
    if len(requested) > MAX_OBJECTS:
        raise ProtocolError(413, f"At most {MAX_OBJECTS} objects per batch request.")
    return [item if isinstance(item, dict) else {} for item in requested]


def _invalid(item: dict) -> str | None:
    if not valid_oid(item.get("oid")):
        return "The oid must be 64 lowercase hexadecimal digits (sha256)."
    size = item.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return "The size must be a non-negative integer."
    return None


@lfs_view(write=_wants_upload, methods=("POST",))
def batch(request: HttpRequest, context: Context) -> HttpResponse:
    body = request.lfs_body
    requested = _requested(body)
    upload = body["operation"] == "upload"
    valid = {item["oid"]: item["size"] for item in requested if _invalid(item) is None}
    present = objects.referenced_oids(context.module, list(valid))
    if upload:
        missing = {oid: size for oid, size in valid.items() if oid not in present}
        try:
            quota.check(context.module.owner, quota.new_lfs_bytes(context.module.owner, missing))
        except quota.QuotaExceeded as refusal:
            return error(507, str(refusal))
    store = objects.lfs_store()
    answered = []
    for item in requested:
        oid, size = item.get("oid"), item.get("size")
        problem = _invalid(item)
        if problem:
            answered.append(
                {"oid": str(oid), "size": size, "error": {"code": 422, "message": problem}}
            )
            continue
        entry: dict = {"oid": oid, "size": size, "authenticated": True}
        if upload:
            if oid not in present or not store.exists(oid):
                entry["actions"] = {
                    "upload": context.link(f"objects/{oid}?size={size}", write=True),
                    "verify": context.link(f"objects/{oid}/verify", write=True),
                }
        elif oid in present and store.size(oid) == size:
            entry["actions"] = {"download": context.link(f"objects/{oid}", write=False)}
        else:
            entry["error"] = {"code": 404, "message": "Object does not exist on the server."}
        answered.append(entry)
    return answer({"transfer": "basic", "objects": answered, "hash_algo": "sha256"})
