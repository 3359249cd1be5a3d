"""Git LFS endpoints under ``/<namespace>/<slug>.git/info/lfs/`` (mounted in mlreef/urls.py)."""

from django.urls import path, re_path

from . import batch, locks, transfer

urlpatterns = [
    path("objects/batch", batch.batch, name="lfs-batch"),
    re_path(r"^objects/(?P<oid>[^/]+)$", transfer.object_view, name="lfs-object"),
    re_path(r"^objects/(?P<oid>[^/]+)/verify$", transfer.verify, name="lfs-verify"),
    path("locks", locks.locks, name="lfs-locks"),
    path("locks/verify", locks.verify_locks, name="lfs-locks-verify"),
    path("locks/<int:lock_id>/unlock", locks.unlock, name="lfs-unlock"),
]
