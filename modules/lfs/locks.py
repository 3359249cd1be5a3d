"""The Git LFS locks API: ``git lfs lock/unlock/locks``, and the check ``git lfs push`` makes.

Creating, verifying and releasing locks needs write access; listing needs read access. Locks
only inform clients (the server does not refuse pushes that touch a file someone else locked),
which is what git-lfs expects of a server that answers ``locks/verify``.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from ..models import LfsLock
from ..repository import InvalidPath, validate_path
from .protocol import Context, ProtocolError, answer, error, lfs_view, read_json

DEFAULT_LIMIT = 100


def _serialise(lock: LfsLock) -> dict:
    return {
        "id": str(lock.pk),
        "path": lock.path,
        "locked_at": lock.locked_at.isoformat(),
        "owner": {"name": lock.owner.username},
    }


def _page(queryset, cursor: object, limit: object) -> tuple[list[LfsLock], str]:
    try:
        start = int(cursor or 0)
        size = min(max(int(limit or DEFAULT_LIMIT), 1), 1000)
    except (TypeError, ValueError):
        raise ProtocolError(422, "cursor and limit must be integers.") from None
    items = list(queryset.filter(pk__gt=start).order_by("pk")[: size + 1])
    next_cursor = str(items[size - 1].pk) if len(items) > size else ""
    return items[:size], next_cursor


def _create(request: HttpRequest, context: Context) -> HttpResponse:
    body = read_json(request)
    try:
        path = validate_path(body.get("path") or "")
    except InvalidPath as problem:
        return error(422, str(problem))
    try:
        with transaction.atomic():
            lock = LfsLock.objects.create(
                module=context.module, path=path, owner=context.caller.user
            )
    except IntegrityError:
        existing = LfsLock.objects.select_related("owner").get(module=context.module, path=path)
        return answer(
            {"lock": _serialise(existing), "message": f"'{path}' is already locked."}, status=409
        )
    return answer({"lock": _serialise(lock)}, status=201)


def _list(request: HttpRequest, context: Context) -> HttpResponse:
    locks = LfsLock.objects.filter(module=context.module).select_related("owner")
    if path := request.GET.get("path"):
        locks = locks.filter(path=path)
    if lock_id := request.GET.get("id"):
        locks = locks.filter(pk=int(lock_id)) if lock_id.isdigit() else locks.none()
    items, next_cursor = _page(locks, request.GET.get("cursor"), request.GET.get("limit"))
    return answer({"locks": [_serialise(lock) for lock in items], "next_cursor": next_cursor})


@lfs_view(write=lambda request: request.method == "POST", methods=("GET", "POST"))
def locks(request: HttpRequest, context: Context) -> HttpResponse:
    if request.method == "POST":
        return _create(request, context)
    return _list(request, context)


@lfs_view(write=True, methods=("POST",))
def verify_locks(request: HttpRequest, context: Context) -> HttpResponse:
    """Before a push: which locks are the pusher's own and which are someone else's."""
    body = read_json(request)
    locks = LfsLock.objects.filter(module=context.module).select_related("owner")
    items, next_cursor = _page(locks, body.get("cursor"), body.get("limit"))
    user = context.caller.user
    return answer(
        {
            "ours": [_serialise(lock) for lock in items if lock.owner_id == user.pk],
            "theirs": [_serialise(lock) for lock in items if lock.owner_id != user.pk],
            "next_cursor": next_cursor,
        }
    )


@lfs_view(write=True, methods=("POST",))
def unlock(request: HttpRequest, context: Context, lock_id: str) -> HttpResponse:
    body = read_json(request)
    lock = (
        LfsLock.objects.filter(module=context.module, pk=int(lock_id))
        .select_related("owner")
        .first()
    )
    if lock is None:
        return error(404, "No such lock.")
    user = context.caller.user
    if lock.owner_id != user.pk:
        if not body.get("force"):
            return error(403, f"'{lock.path}' is locked by {lock.owner.username}; use --force.")
        if not context.module.can_admin(user):
            return error(403, "Only the repository's owner may break someone else's lock.")
    serialised = _serialise(lock)
    lock.delete()
    return answer({"lock": serialised})
