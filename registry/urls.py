"""Routes of the OCI Distribution API, mounted at /v2/ by the project's URLconf."""

from django.urls import re_path

from .views import blobs, manifests
from .views import token as token_views

NAME = r"(?P<name>.+?)"

urlpatterns = [
    re_path(r"^$", token_views.base, name="registry-base"),
    re_path(r"^token$", token_views.token, name="registry-token"),
    re_path(r"^_catalog$", manifests.catalog, name="registry-catalog"),
    re_path(rf"^{NAME}/tags/list$", manifests.tags_list, name="registry-tags"),
    re_path(
        rf"^{NAME}/manifests/(?P<reference>[^/]+)$", manifests.manifest, name="registry-manifest"
    ),
    re_path(
        rf"^{NAME}/referrers/(?P<digest>[^/]+)$", manifests.referrers, name="registry-referrers"
    ),
    re_path(rf"^{NAME}/blobs/uploads/?$", blobs.upload_start, name="registry-upload"),
    re_path(
        rf"^{NAME}/blobs/uploads/(?P<session_id>[^/]+)$",
        blobs.upload_session,
        name="registry-session",
    ),
    re_path(rf"^{NAME}/blobs/(?P<digest>[^/]+)$", blobs.blob, name="registry-blob"),
    re_path(r"^(?P<rest>.*)$", token_views.not_found),
]
