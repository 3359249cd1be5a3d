"""Garbage collection, upload expiry and storage usage of the built-in registry."""

from __future__ import annotations

import io
import os
import re
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from registry import services
from registry.maintenance import namespace_usage
from registry.models import UploadSession
from registry.storage import blob_store
from tests.oci import digest_of
from tests.test_registry_permissions import store_image

pytestmark = pytest.mark.django_db


def age(digest: str, seconds: float) -> None:
    path = blob_store().path(digest)
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_gc_removes_only_unreferenced_blobs_past_the_grace_period(public_module, capsys):
    repository = services.repository_for(public_module)
    manifest_digest = store_image(public_module)
    orphan = os.urandom(1000)
    fresh = os.urandom(500)
    services.ingest_blob(repository, io.BytesIO(orphan), digest_of(orphan), None)
    services.ingest_blob(repository, io.BytesIO(fresh), digest_of(fresh), None)
    for digest, _, _ in blob_store().iter_digests():
        age(digest, 3 * 3600)
    age(digest_of(fresh), 0)  # an upload in flight

    call_command("registry_gc", "--grace-hours", "1")
    output = capsys.readouterr().out
    # Other tests' blobs share the store (their rows are gone), so count at least ours.
    removed, freed = (
        int(word) for word in re.findall(r"Removed (\d+) blobs, (\d+) bytes", output)[0]
    )
    assert removed >= 1 and freed >= 1000
    assert not blob_store().exists(digest_of(orphan))
    assert blob_store().exists(digest_of(fresh))
    assert blob_store().exists(manifest_digest)
    assert not repository.blobs.filter(digest=digest_of(orphan)).exists()

    # Deleting the module drops its tags and manifests: the next run frees the rest.
    public_module.delete()
    for digest, _, _ in blob_store().iter_digests():
        age(digest, 3 * 3600)
    call_command("registry_gc", "--grace-hours", "1")
    for digest in (manifest_digest, digest_of(fresh)):
        assert not blob_store().exists(digest)


def test_abandoned_upload_sessions_expire(public_module):
    repository = services.repository_for(public_module)
    session = services.start_upload(repository)
    services.append_chunk(session, io.BytesIO(b"partial"), None, None)
    UploadSession.objects.filter(pk=session.pk).update(
        updated_at=timezone.now() - timedelta(hours=30)
    )
    call_command("registry_gc", "--grace-hours", "24")
    assert not UploadSession.objects.filter(pk=session.pk).exists()
    assert not services.upload_path(session).exists()


def test_usage_per_namespace_on_profile_and_admin(client, people, public_module, private_module):
    store_image(public_module)
    store_image(private_module)  # same config blob: counted once
    usage = namespace_usage(people.owner.username)
    assert usage > 0
    client.force_login(people.owner)
    page = client.get("/accounts/profile/")
    assert b"Images in the hub" in page.content
    people.owner.is_superuser = people.owner.is_staff = True
    people.owner.save()
    admin = client.get("/admin/registry/repository/")
    assert admin.status_code == 200 and b"olivia/public-net" in admin.content


def test_the_beat_task_expires_sessions_a_day_old(public_module):
    from registry.tasks import expire_uploads_task

    repository = services.repository_for(public_module)
    old, fresh = services.start_upload(repository), services.start_upload(repository)
    UploadSession.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=2))
    assert expire_uploads_task() == 1
    assert list(UploadSession.objects.values_list("pk", flat=True)) == [fresh.pk]
