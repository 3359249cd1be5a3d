"""What every Git LFS endpoint shares: JSON answers, access checks, links to transfers.

Access is decided by ``modules.access`` exactly as for git over HTTP. The links the batch API
hands out carry a short-lived internal credential for this one repository (read for
downloads, write for uploads), so transfers need no password check per object and a
password never travels back in a response.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.internal import issue_internal_token

from ..access import Caller, Denied, authenticate, authorize
from ..models import Module
from ..services import find_module

CONTENT_TYPE = "application/vnd.git-lfs+json"
LINK_TTL_SECONDS = 3600
MAX_JSON_BODY = 8 * 1024 * 1024


class ProtocolError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def answer(payload: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(payload), status=status, content_type=CONTENT_TYPE)


def error(status: int, message: str) -> HttpResponse:
    response = answer({"message": message}, status=status)
    if status == 401:
        response["LFS-Authenticate"] = 'Basic realm="MLReef git"'
        response["WWW-Authenticate"] = 'Basic realm="MLReef git"'
    return response


def read_json(request: HttpRequest) -> dict:
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > MAX_JSON_BODY:
        raise ProtocolError(413, f"The request body is larger than {MAX_JSON_BODY} bytes.")
    try:
        body = json.loads(request.read(MAX_JSON_BODY + 1) or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(422, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ProtocolError(422, "The request body must be a JSON object.")
    return body


@dataclass(frozen=True)
class Context:
    """The repository an LFS request is about, and who asks."""

    module: Module
    caller: Caller
    base_url: str  # absolute …/<ns>/<slug>.git/info/lfs

    def link(self, path: str, write: bool) -> dict:
        """An action: where to go, with a credential good for this repository only."""
        action: dict = {"href": f"{self.base_url}/{path}", "expires_in": LINK_TTL_SECONDS}
        user = self.caller.user
        if user is not None:
            token = issue_internal_token(
                user,
                [self.module.credential_resource],
                scopes=("write",) if write else ("read",),
                ttl_seconds=LINK_TTL_SECONDS + 60,
            )
            basic = base64.b64encode(f"{user.username}:{token}".encode()).decode()
            action["header"] = {"Authorization": f"Basic {basic}"}
        return action


def lfs_view(write: bool | Callable[[HttpRequest], bool], methods: tuple[str, ...]):
    """Resolve the repository and check access like git does, then call ``view(request, ctx)``.

    ``write`` is a flag or a function of the request (the batch API decides by its body).
    """

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, namespace: str, slug: str, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return error(405, f"Use {' or '.join(methods)} here.")
            try:
                needs_write = write(request) if callable(write) else write
                caller = authenticate(request)
                if isinstance(caller, Denied):
                    return error(caller.status, caller.message)
                module = find_module(namespace, slug).module
                denied = authorize(module, caller, write=needs_write, what="Repository")
                if denied is not None:
                    return error(denied.status, denied.message)
                public_url = settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")
                context = Context(module, caller, f"{public_url}{module.clone_path()}/info/lfs")
                return view(request, context, **kwargs)
            except ProtocolError as problem:
                return error(problem.status, problem.message)

        return wrapped

    return decorator
