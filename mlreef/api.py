"""API-wide plumbing: turn domain errors into clear 4xx answers instead of 500s."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from modules.repository import CommitConflict, NotFound, RepositoryError


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotFound):
        return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, CommitConflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RepositoryError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI whose start-up script is its own request and whose styles are a static file,
    so the docs page works under the site's Content-Security-Policy (no inline code)."""

    template_name = "api/docs.html"


# Summaries written out where the generated ones would read badly; any other operation gets
# one from its description or operation id (add_summaries).
SUMMARIES = {
    "base_environments_list": "List the base environments modules are built on",
    "modules_list": "List and search modules",
    "modules_create": "Create a module",
    "modules_retrieve": "Get a module",
    "modules_partial_update": "Update a module's settings",
    "modules_destroy": "Delete a module and its repository",
    "modules_branches_list": "List a module's branches",
    "modules_collaborators_list": "List a module's collaborators",
    "modules_collaborators_destroy": "Remove a collaborator",
    "modules_commits_list": "List the commits of a branch",
    "modules_publications_list": "List a module's versions",
    "modules_publications_create": "Publish a version (build and push its image)",
    "modules_publications_retrieve": "Get a version: status, image, parameters",
    "modules_publications_cancel_create": "Cancel a version's build",
    "modules_publications_log_list": "Read a version's build log",
    "modules_raw_retrieve": "Download a file",
    "modules_tree_list": "List a directory",
    "runs_artifacts_retrieve": "Download an artifact of a run",
    "runs_artifacts_update": "Upload an artifact (run workers only)",
    "tokens_list": "List your personal access tokens",
    "tokens_create": "Create a personal access token",
    "tokens_retrieve": "Get a personal access token",
    "users_me_retrieve": "Get the signed-in user",
}

ACTION_WORDS = {
    "list": "List",
    "create": "Create",
    "retrieve": "Get",
    "update": "Replace",
    "partial_update": "Update",
    "destroy": "Delete",
}


def add_summaries(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: every operation gets a summary (the first
    sentence of its description, else words from its operation id), so the docs list reads
    as a table of contents."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or operation.get("summary"):
                continue
            if operation.get("operationId") in SUMMARIES:
                operation["summary"] = SUMMARIES[operation["operationId"]]
                continue
            description = (operation.get("description") or "").strip()
            if description:
                first = description.split("\n", 1)[0]
                operation["summary"] = first.split(". ", 1)[0].rstrip(".")
                continue
            words = operation.get("operationId", "").split("_")
            action = "partial_update" if words[-2:] == ["partial", "update"] else words[-1]
            nouns = words[: -2 if action == "partial_update" else -1]
            subject = " ".join(nouns[1:] if len(nouns) > 1 else nouns).replace("-", " ")
            verb = ACTION_WORDS.get(action, action.capitalize())
            operation["summary"] = f"{verb} {subject}".strip() or verb
    return result
