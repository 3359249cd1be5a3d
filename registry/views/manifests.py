"""Manifests, tag lists, the catalog and the referrers API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode

from mlreef.http_body import content_length, request_body

from .. import services
from ..access import TAG_PATTERN, Caller
from ..models import Repository
from .base import API_VERSION, Target, by_method, empty, json_response, oci_error, registry_view

# Tags one push by digest may name with ``?tag=`` (the spec asks for at least 10); more is 414.
MAX_TAG_PARAMS = 100


@registry_view(by_method(get="pull", head="pull", put="push", delete="delete"))
def manifest(request: HttpRequest, target: Target, reference: str) -> HttpResponse:
    if request.method == "PUT":
        tags = request.GET.getlist("tag")
        if len(tags) > MAX_TAG_PARAMS:
            return oci_error(
                "UNSUPPORTED", f"At most {MAX_TAG_PARAMS} tag parameters per request.", 414
            )
        for name in [*tags, *([] if ":" in reference else [reference])]:
            if not TAG_PATTERN.match(name):
                return oci_error("MANIFEST_INVALID", f"Invalid tag {name[:100]!r}.", 400)
        repository = services.repository_for(target.module)
        data = services.read_manifest_body(request_body(request), content_length(request))
        stored = services.put_manifest(
            repository, reference, data, request.META.get("CONTENT_TYPE", ""), tags=tags
        )
        headers = {
            "Location": f"/v2/{target.name}/manifests/{stored.digest}",
            "Docker-Content-Digest": stored.digest,
        }
        if stored.subject:
            headers["OCI-Subject"] = stored.subject
        if tags:
            headers["OCI-Tag"] = ", ".join(dict.fromkeys(tags))
        return empty(201, headers)
    if request.method == "DELETE":
        services.delete_manifest(services.repository_for(target.module), reference)
        return empty(202)
    found = services.find_manifest(target.repository, reference)
    from ..storage import blob_store

    body = b"" if request.method == "HEAD" else blob_store().path(found.digest).read_bytes()
    response = HttpResponse(body, content_type=found.media_type)
    response["Content-Length"] = str(found.size)
    response["Docker-Content-Digest"] = found.digest
    response["Docker-Distribution-API-Version"] = API_VERSION
    return response


def _page_size(request: HttpRequest) -> int | None:
    value = request.GET.get("n")
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise services.RegistryError("PAGINATION_NUMBER_INVALID", "n must be a number.")
    return min(int(value), 10000)


def _next_link(path: str, limit: int, last: str) -> str:
    return f'<{path}?{urlencode({"n": limit, "last": last})}>; rel="next"'


@registry_view(by_method(get="pull"))
def tags_list(request: HttpRequest, target: Target) -> HttpResponse:
    limit = _page_size(request)
    names, more = services.tag_names(target.repository, request.GET.get("last", ""), limit)
    response = json_response({"name": target.name, "tags": names})
    if more and names and limit:
        response["Link"] = _next_link(f"/v2/{target.name}/tags/list", limit, names[-1])
    return response


@registry_view(by_method(get="pull"))
def referrers(request: HttpRequest, target: Target, digest: str) -> HttpResponse:
    artifact_type = request.GET.get("artifactType", "")
    descriptors = services.referrers(target.repository, digest, artifact_type)
    response = json_response(
        {"schemaVersion": 2, "mediaType": services.OCI_INDEX, "manifests": descriptors},
        content_type=services.OCI_INDEX,
    )
    if artifact_type:
        response["OCI-Filters-Applied"] = "artifactType"
    return response


@registry_view(None)
def catalog(request: HttpRequest, caller: Caller) -> HttpResponse:
    if request.method != "GET":
        return oci_error("UNSUPPORTED", "Use GET for the catalog.", 405)
    limit = _page_size(request)
    last = request.GET.get("last", "")
    names = sorted(
        repository.name
        for repository in Repository.objects.select_related("module__owner")
        if caller.may_list(repository.module)
    )
    names = [name for name in names if name > last] if last else names
    page = names if limit is None else names[:limit]
    response = json_response({"repositories": page})
    if limit and len(names) > limit and page:
        response["Link"] = _next_link("/v2/_catalog", limit, page[-1])
    return response
