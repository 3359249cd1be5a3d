"""What the OpenAPI schema says beyond what drf-spectacular infers.

- The 4xx answers every operation can give, all in one shape (``{"detail": …}`` or a field ->
  messages object for validation errors), so a client, or a schema-driven fuzzer, meets no
  status code the schema does not name.
"""

from __future__ import annotations

ERROR = {
    "type": "object",
    "description": "`detail` says what went wrong; validation errors name each field instead.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}

ALWAYS = {
    401: "Missing or invalid credentials.",
    403: "Authenticated, but not allowed (role, token scope).",
    404: "No such module, object or path (or one you may not see).",
    414: "The URL is too long.",
    429: "Too many failed sign-ins from this address or for this user; see Retry-After.",
}
WITH_INPUT = {
    400: "Invalid input; the body names the fields and the reasons.",
    413: "The request is larger than the upload limits.",
    415: "Unsupported request content type.",
}
CHANGES = {409: "The branch or object changed meanwhile; reload and try again."}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: declare the shared error schema and the 4xx of each operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            answers = dict(ALWAYS)
            if operation.get("parameters") or operation.get("requestBody") or method != "get":
                answers.update(WITH_INPUT)
            if method != "get":
                answers.update(CHANGES)
            if method in {"put", "patch", "post", "delete"} or operation.get("parameters"):
                answers[406] = "The requested format is not available."
            responses = operation.setdefault("responses", {})
            for code, description in answers.items():
                responses.setdefault(
                    str(code),
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
