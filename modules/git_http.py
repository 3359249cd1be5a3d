"""Git smart HTTP for module repositories, served by ``git http-backend``.

Both directions stream: the request body is pumped into the backend from a thread while the
backend's output is streamed back, so a large push never sits in the server's memory.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from mlreef.http_body import request_body

from . import quota
from .access import Denied, authenticate, authorize
from .models import Module
from .services import adopt_first_push, find_module
from .signals import push_received

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
SERVICES = ("git-upload-pack", "git-receive-pack")
PASSED_HEADERS = ("content-type", "cache-control", "expires", "pragma", "last-modified")


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _challenge(message: str) -> HttpResponse:
    response = _text(401, message)
    response["WWW-Authenticate"] = 'Basic realm="MLReef git"'
    return response


def _refusal(denied: Denied) -> HttpResponse:
    if denied.status == 401:
        return _challenge(denied.message)
    response = _text(denied.status, denied.message)
    if denied.retry_after:
        response["Retry-After"] = str(denied.retry_after)
    return response


@csrf_exempt
def git_http(request: HttpRequest, namespace: str, slug: str, git_path: str) -> HttpResponse:
    if git_path == "info/refs":
        service = request.GET.get("service", "")
        allowed_method = "GET"
    else:
        service = git_path
        allowed_method = "POST"
    if service not in SERVICES:
        return _text(403, "Only git's smart HTTP protocol is supported; please upgrade git.")
    if request.method != allowed_method:
        return _text(405, f"Use {allowed_method} for {git_path}.")

    caller = authenticate(request)
    if isinstance(caller, Denied):
        return _refusal(caller) if caller.status == 429 else _challenge(caller.message)
    lookup = find_module(namespace, slug)
    denied = authorize(lookup.module, caller, write=service == "git-receive-pack")
    if denied is not None:
        return _refusal(denied)
    module = lookup.module
    if lookup.redirected:
        query = request.META.get("QUERY_STRING", "")
        target = f"{module.clone_path()}/{git_path}" + (f"?{query}" if query else "")
        return (
            HttpResponseRedirect(target, status=301)
            if request.method == "GET"
            else HttpResponseRedirect(target, status=308)
        )
    quota_room = None
    if service == "git-receive-pack" and settings.STORAGE_QUOTA:
        usage = quota.usage(module.owner)
        if not usage.remaining:
            return _text(
                507,
                f"Storage quota exceeded: namespace '{module.namespace}' uses "
                f"{quota.human_size(usage.total)} of {quota.human_size(usage.limit)}.",
            )
        quota_room = usage.remaining
    return _run_backend(request, module, git_path, caller.user, quota_room)


HOOKS_DIR = Path(__file__).resolve().parent / "hooks"


def _git_config(values: dict[str, str]) -> dict[str, str]:
    """Configuration for one git process, passed in its environment (git >= 2.31)."""
    env = {"GIT_CONFIG_COUNT": str(len(values))}
    for index, (key, value) in enumerate(values.items()):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


_PUSH_CONFIG = {
    # Authorisation is decided above, so the backend may serve receive-pack.
    "http.receivepack": "true",
    # Refuse malformed objects: tree entries named '..', '.git', with '/' or absolute.
    "receive.fsckObjects": "true",
    # pre-receive (modules/hooks): per-file size, name length, the protected default branch.
    "core.hooksPath": str(HOOKS_DIR),
    # Pack loose objects now and then, and sweep what interrupted pushes left.
    "receive.autogc": "true",
}


def _hook_env(module: Module, user) -> dict[str, str]:
    """What the pre-receive hook needs to know; the push size limit is git's own."""
    may_rewrite = module.allow_force_push or module.can_admin(user)
    return {
        "MLREEF_PYTHON": sys.executable,
        "MLREEF_GIT": settings.GIT_BINARY,
        "MLREEF_MAX_FILE_SIZE": str(settings.MAX_FILE_SIZE),
        "MLREEF_PROTECTED_BRANCH": module.default_branch,
        "MLREEF_MAY_REWRITE": "1" if may_rewrite else "0",
    }


def _backend_env(
    request: HttpRequest, module: Module, git_path: str, user, quota_room: int | None = None
) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(settings.DATA_DIR),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_PROJECT_ROOT": str(module.repository_path.parent),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{module.repository_path.name}/{git_path}",
        "REQUEST_METHOD": request.method or "GET",
        "QUERY_STRING": request.META.get("QUERY_STRING", ""),
        "CONTENT_TYPE": request.META.get("CONTENT_TYPE", ""),
        "REMOTE_ADDR": request.META.get("REMOTE_ADDR", ""),
        "REMOTE_USER": user.username if user else "",
        **_git_config({**_PUSH_CONFIG, "receive.maxInputSize": str(settings.MAX_PUSH_SIZE)}),
        **_hook_env(module, user),
    }
    if quota_room is not None:
        # The storage quota's room: the pre-receive hook weighs the quarantined objects.
        env["MLREEF_QUOTA_ROOM"] = str(quota_room)
        env["MLREEF_NAMESPACE"] = module.namespace
    if user is not None:
        env["GIT_COMMITTER_NAME"] = user.username
        env["GIT_COMMITTER_EMAIL"] = user.commit_email
    if request.META.get("HTTP_CONTENT_ENCODING"):
        env["HTTP_CONTENT_ENCODING"] = request.META["HTTP_CONTENT_ENCODING"]
    if request.META.get("HTTP_GIT_PROTOCOL"):
        env["GIT_PROTOCOL"] = request.META["HTTP_GIT_PROTOCOL"]
    return env


def _pump(source: IO[bytes], sink: IO[bytes]) -> None:
    try:
        while chunk := source.read(CHUNK_SIZE):
            sink.write(chunk)
    except (BrokenPipeError, ConnectionError, OSError) as error:
        logger.info("git request body ended early: %s", error)
    finally:
        try:
            sink.close()
        except OSError:
            pass


def _announce_push(module: Module, user, heads_before: dict[str, str]) -> None:
    heads_after = module.repository.branch_heads()
    if not heads_before:
        adopt_first_push(module, list(heads_after))
    changes = {
        branch: (heads_before.get(branch), sha)
        for branch, sha in heads_after.items()
        if heads_before.get(branch) != sha
    }
    if changes:
        push_received.send(sender=Module, module=module, user=user, changes=changes)


def _run_backend(
    request: HttpRequest, module: Module, git_path: str, user, quota_room: int | None = None
) -> HttpResponse:
    is_push = git_path == "git-receive-pack"
    heads_before = module.repository.branch_heads() if is_push else {}
    process = subprocess.Popen(
        [settings.GIT_BINARY, "http-backend"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=_backend_env(request, module, git_path, user, quota_room),
    )
    assert process.stdin is not None and process.stdout is not None
    pump = None
    if request.method == "POST":
        pump = threading.Thread(
            target=_pump, args=(request_body(request), process.stdin), daemon=True
        )
        pump.start()
    else:
        process.stdin.close()

    status, headers = 200, {}
    while True:
        line = process.stdout.readline()
        if not line or line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "status":
            status = int(value.split()[0])
        elif name in PASSED_HEADERS:
            headers[name] = value

    def stream() -> Iterator[bytes]:
        finished = False
        try:
            while chunk := process.stdout.read1(CHUNK_SIZE):
                yield chunk
            finished = True
        finally:
            # A client that hung up leaves a backend with nobody to talk to: stop it. A finished
            # one may still run its post-update hook, so let it end by itself.
            if not finished and process.poll() is None:
                process.kill()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if pump is not None:
                pump.join(timeout=5)
            if finished and is_push:
                _announce_push(module, user, heads_before)

    response = StreamingHttpResponse(stream(), status=status)
    for name, value in headers.items():
        response[name] = value
    return response
