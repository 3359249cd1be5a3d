"""Registry workflows: blob uploads, manifests and tags, as plain functions over rows + store.

Views stay thin: they authenticate, call one of these and turn ``RegistryError`` into the OCI
error body. Bytes always stream (request body -> temporary file while hashing -> rename into
the store); only manifests, capped at 4 MiB, are read into memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from modules.blobstore import ALGORITHMS, BlobError, DigestMismatch, split_digest
from modules.models import Module

from .models import BlobLink, Manifest, Repository, Tag, UploadSession
from .storage import blob_store

MANIFEST_LIMIT = 4 * 1024 * 1024
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)


class RegistryError(Exception):
    """An OCI error: ``code`` from the spec, an HTTP status and a message for the client."""

    def __init__(self, code: str, message: str, status: int = 400, detail=None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.detail = code, message, status, detail


def check_digest(digest: str) -> str:
    """``<algorithm>:<hex>`` with a supported algorithm (sha256, sha512), else DIGEST_INVALID."""
    if ":" not in digest:
        _bad_digest(digest)
    try:
        algorithm, hex_part = split_digest(digest)
    except ValueError:
        _bad_digest(digest)
    return f"{algorithm}:{hex_part}"


def check_algorithm(algorithm: str) -> str:
    """An upload's ``digest-algorithm`` parameter: one the store can name content by."""
    if algorithm not in ALGORITHMS:
        raise RegistryError(
            "DIGEST_INVALID",
            f"Unsupported digest algorithm {algorithm[:50]!r}; supported: {', '.join(ALGORITHMS)}.",
        )
    return algorithm


def _bad_digest(digest: str) -> NoReturn:
    raise RegistryError("DIGEST_INVALID", f"Unsupported or malformed digest {digest[:100]!r}.")


def repository_for(module: Module) -> Repository:
    repository, _ = Repository.objects.get_or_create(module=module)
    return repository


# -- blobs ------------------------------------------------------------------------------------
def find_blob(repository: Repository | None, digest: str) -> BlobLink:
    digest = check_digest(digest)
    link = repository and repository.blobs.filter(digest=digest).first()
    if not link or not blob_store().exists(digest):
        raise RegistryError("BLOB_UNKNOWN", f"Blob {digest} is unknown here.", 404)
    return link


def find_module_blob(module: Module | None, digest: str) -> BlobLink:
    """``find_blob`` for the repository of ``module``, in one query: every layer of a pull
    is a blob GET, so it costs one round trip to the database, not two."""
    digest = check_digest(digest)
    link = module and BlobLink.objects.filter(repository__module=module, digest=digest)[:1]
    link = link[0] if link else None
    if link is None or not blob_store().exists(digest):
        raise RegistryError("BLOB_UNKNOWN", f"Blob {digest} is unknown here.", 404)
    return link


def link_blob(repository: Repository, digest: str, size: int) -> BlobLink:
    try:
        with transaction.atomic():
            link, _ = BlobLink.objects.get_or_create(
                repository=repository, digest=digest, defaults={"size": size}
            )
    except IntegrityError:  # a parallel upload of the same blob linked it first
        link = BlobLink.objects.get(repository=repository, digest=digest)
    return link


def ingest_blob(repository: Repository, body: IO[bytes], digest: str, length: int | None) -> str:
    """A monolithic upload: stream, verify, store and link."""
    digest = check_digest(digest)
    try:
        stored = blob_store().ingest(body, expected_digest=digest, expected_size=length)
    except DigestMismatch as error:
        raise RegistryError("DIGEST_INVALID", str(error)) from None
    except BlobError as error:
        raise RegistryError("BLOB_UPLOAD_INVALID", str(error)) from None
    except OSError as error:
        raise RegistryError("BLOB_UPLOAD_INVALID", f"The upload broke off: {error}") from None
    link_blob(repository, stored.digest, stored.size)
    return stored.digest


def mount_blob(repository: Repository, digest: str, source: Repository | None) -> bool:
    """Link a blob another repository holds; False (then the client uploads) when it cannot."""
    try:
        link = find_blob(source, digest)
    except RegistryError:
        return False
    link_blob(repository, link.digest, link.size)
    return True


def repositories_holding(digest: str, readable) -> list[Repository]:
    """Repositories that hold ``digest`` and pass ``readable(module)`` (for mounts)."""
    try:
        digest = check_digest(digest)
    except RegistryError:
        return []
    links = BlobLink.objects.filter(digest=digest).select_related("repository__module__owner")
    return [link.repository for link in links[:20] if readable(link.repository.module)]


def delete_blob(repository: Repository, digest: str) -> None:
    link = find_blob(repository, digest)
    link.delete()  # the bytes go at the next registry_gc if nothing else names them


# -- upload sessions --------------------------------------------------------------------------
def start_upload(repository: Repository) -> UploadSession:
    handle = blob_store().temporary_file()
    handle.close()
    return UploadSession.objects.create(repository=repository, temp_name=Path(handle.name).name)


def find_upload(repository: Repository, session_id: str) -> UploadSession:
    session = None
    try:
        session = repository.uploads.filter(pk=session_id).first()
    except Exception:  # noqa: BLE001 - a malformed UUID names no session
        session = None
    if session is None or not upload_path(session).exists():
        raise RegistryError(
            "BLOB_UPLOAD_UNKNOWN", "No such upload session (it may have expired).", 404
        )
    return session


def upload_path(session: UploadSession) -> Path:
    return blob_store().incoming / session.temp_name


def upload_size(session: UploadSession) -> int:
    try:
        return upload_path(session).stat().st_size
    except FileNotFoundError:
        return 0


def parse_content_range(value: str) -> tuple[int, int]:
    """``<start>-<end>`` as sent by OCI clients (``bytes a-b/total`` also accepted)."""
    text = value.strip()
    if text.startswith("bytes"):
        text = text[5:].strip(" =")
    text = text.split("/", 1)[0]
    start, sep, end = text.partition("-")
    if not sep or not start.isdigit() or not end.isdigit() or int(end) < int(start):
        raise RegistryError("BLOB_UPLOAD_INVALID", f"Malformed Content-Range {value[:100]!r}.", 416)
    return int(start), int(end)


def append_chunk(
    session: UploadSession, body: IO[bytes], content_range: str | None, length: int | None
) -> int:
    """Append a chunk; it must continue the session exactly. Returns the new size."""
    path = upload_path(session)
    offset = upload_size(session)
    if content_range:
        start, end = parse_content_range(content_range)
        if start != offset:
            raise RegistryError(
                "BLOB_UPLOAD_INVALID",
                f"This chunk starts at {start}, but the upload has {offset} bytes.",
                416,
            )
        if length is not None and length != end - start + 1:
            raise RegistryError(
                "BLOB_UPLOAD_INVALID", "Content-Range and Content-Length disagree.", 416
            )
        length = end - start + 1
    received = 0
    try:
        with path.open("ab") as handle:
            while chunk := body.read(1024 * 1024):
                received += len(chunk)
                handle.write(chunk)
        if length is not None and received != length:
            raise RegistryError(
                "BLOB_UPLOAD_INVALID", f"Received {received} bytes of a {length}-byte chunk."
            )
    except (RegistryError, OSError, ValueError) as error:
        os.truncate(path, offset)  # nothing half-written stays in the session
        if isinstance(error, RegistryError):
            raise
        raise RegistryError("BLOB_UPLOAD_INVALID", f"The upload broke off: {error}") from None
    UploadSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    return offset + received


def finish_upload(session: UploadSession, digest: str) -> str:
    digest = check_digest(digest)
    path = upload_path(session)
    try:
        stored = blob_store().adopt(path, expected_digest=digest)
    except DigestMismatch as error:
        session.delete()
        raise RegistryError("DIGEST_INVALID", str(error)) from None
    except (BlobError, OSError) as error:
        raise RegistryError("BLOB_UPLOAD_INVALID", str(error)) from None
    link_blob(session.repository, stored.digest, stored.size)
    session.delete()
    return stored.digest


def cancel_upload(session: UploadSession) -> None:
    upload_path(session).unlink(missing_ok=True)
    session.delete()


# -- manifests and tags -----------------------------------------------------------------------
def read_manifest_body(body: IO[bytes], length: int | None) -> bytes:
    if length is not None and length > MANIFEST_LIMIT:
        raise RegistryError("SIZE_INVALID", "Manifests are limited to 4 MiB.", 413)
    data = body.read(MANIFEST_LIMIT + 1)
    if len(data) > MANIFEST_LIMIT:
        raise RegistryError("SIZE_INVALID", "Manifests are limited to 4 MiB.", 413)
    return data


def _descriptor_digests(items: Iterable, what: str) -> list[str]:
    digests = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("digest"), str):
            raise RegistryError("MANIFEST_INVALID", f"A {what} descriptor lacks its digest.")
        digests.append(check_digest(item["digest"]))
    return digests


def parse_manifest(data: bytes, content_type: str) -> tuple[dict, str]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise RegistryError("MANIFEST_INVALID", "The manifest is not valid JSON.") from None
    if not isinstance(document, dict):
        raise RegistryError("MANIFEST_INVALID", "The manifest must be a JSON object.")
    declared = document.get("mediaType")
    media_type = (content_type or "").split(";", 1)[0].strip() or declared or ""
    if declared and declared != media_type:
        raise RegistryError(
            "MANIFEST_INVALID", f"Content-Type {media_type} differs from mediaType {declared}."
        )
    if media_type not in MANIFEST_TYPES:
        raise RegistryError(
            "MANIFEST_INVALID",
            f"Unsupported manifest media type {media_type[:100]!r}; "
            f"supported: {', '.join(MANIFEST_TYPES)}.",
        )
    if document.get("schemaVersion") != 2:
        raise RegistryError("MANIFEST_INVALID", "Only schemaVersion 2 manifests are accepted.")
    return document, media_type


def _references(repository: Repository, document: dict, media_type: str) -> tuple[list, list]:
    """(blob digests, child manifest digests), each checked to exist in this repository unless
    ``REGISTRY_SPARSE_MANIFESTS`` lets a manifest name content that was never pushed."""
    sparse = settings.REGISTRY_SPARSE_MANIFESTS
    if media_type in INDEX_TYPES:
        children = _descriptor_digests(document.get("manifests") or [], "manifest")
        known = set(
            repository.manifests.filter(digest__in=children).values_list("digest", flat=True)
        )
        missing = [d for d in children if d not in known]
        if missing and not sparse:
            raise RegistryError(
                "MANIFEST_BLOB_UNKNOWN", f"Unknown child manifest {missing[0]}.", 400, missing[0]
            )
        return [], children
    config = document.get("config")
    if not isinstance(config, dict) or not isinstance(document.get("layers", []), list):
        raise RegistryError("MANIFEST_INVALID", "An image manifest needs a config and layers.")
    layers = [
        layer
        for layer in document.get("layers") or []
        if not (isinstance(layer, dict) and layer.get("urls"))  # foreign layers live elsewhere
    ]
    blobs = _descriptor_digests([config, *layers], "layer")
    known = set(repository.blobs.filter(digest__in=blobs).values_list("digest", flat=True))
    missing = [d for d in blobs if d not in known]
    if missing and not sparse:
        raise RegistryError(
            "MANIFEST_BLOB_UNKNOWN",
            f"Blob {missing[0]} is not in this repository; push it first.",
            400,
            missing[0],
        )
    return blobs, []


def put_manifest(
    repository: Repository,
    reference: str,
    data: bytes,
    content_type: str,
    protect: bool = False,
    tags: Iterable[str] = (),
) -> Manifest:
    """Store a manifest under ``reference`` (a tag or its digest) and point ``tags`` (the
    spec's ``?tag=`` parameters of a push by digest) at it too, all in one transaction."""
    document, media_type = parse_manifest(data, content_type)
    is_digest = ":" in reference
    # Pushed by digest, the manifest is named with that digest's algorithm (sha512 content
    # stays sha512); pushed by tag, with the canonical sha256.
    algorithm = check_digest(reference).split(":", 1)[0] if is_digest else "sha256"
    digest = f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
    if is_digest and check_digest(reference) != digest:
        raise RegistryError(
            "DIGEST_INVALID", f"The manifest's digest is {digest}, not {reference}."
        )
    blobs, children = _references(repository, document, media_type)
    subject = document.get("subject")
    subject_digest = (
        check_digest(subject["digest"]) if isinstance(subject, dict) and "digest" in subject else ""
    )
    config = document.get("config") if isinstance(document.get("config"), dict) else {}
    artifact_type = document.get("artifactType") or (
        config.get("mediaType", "") if media_type in (OCI_MANIFEST,) else ""
    )
    blob_store().ingest(io.BytesIO(data), expected_digest=digest)
    with transaction.atomic():
        manifest, _ = Manifest.objects.get_or_create(
            repository=repository,
            digest=digest,
            defaults={
                "media_type": media_type,
                "size": len(data),
                "artifact_type": str(artifact_type)[:255],
                "subject": subject_digest,
                "annotations": document.get("annotations")
                if isinstance(document.get("annotations"), dict)
                else None,
                "references": blobs + children,
            },
        )
        for name in dict.fromkeys([*tags, *([] if is_digest else [reference])]):
            set_tag(repository, name, manifest, immutable=protect)
    return manifest


def set_tag(repository: Repository, name: str, manifest: Manifest, immutable: bool = False) -> Tag:
    """Point ``name`` at ``manifest``; an immutable tag never moves. Call inside a transaction."""
    tag = Tag.objects.select_for_update().filter(repository=repository, name=name).first()
    if tag is not None and tag.immutable and tag.manifest_id != manifest.pk:
        raise RegistryError(
            "DENIED", f"Tag {name} names a published version and cannot change.", 403
        )
    if tag is None:
        return Tag.objects.create(
            repository=repository, name=name, manifest=manifest, immutable=immutable
        )
    tag.manifest = manifest
    tag.immutable = tag.immutable or immutable
    tag.save(update_fields=["manifest", "immutable", "updated_at"])
    return tag


def find_manifest(repository: Repository | None, reference: str) -> Manifest:
    manifest = None
    if repository is not None:
        if ":" in reference:
            manifest = repository.manifests.filter(digest=check_digest(reference)).first()
        else:
            tag = repository.tags.select_related("manifest").filter(name=reference).first()
            manifest = tag.manifest if tag else None
    if manifest is None or not blob_store().exists(manifest.digest):
        raise RegistryError("MANIFEST_UNKNOWN", f"Manifest {reference[:100]} is unknown.", 404)
    return manifest


def delete_manifest(repository: Repository, reference: str) -> None:
    with transaction.atomic():
        if ":" not in reference:
            tag = repository.tags.filter(name=reference).first()
            if tag is None:
                raise RegistryError("MANIFEST_UNKNOWN", f"Tag {reference[:100]} is unknown.", 404)
            if tag.immutable:
                raise RegistryError("DENIED", f"Tag {reference} names a published version.", 403)
            tag.delete()
            return
        manifest = find_manifest(repository, reference)
        if manifest.tags.filter(immutable=True).exists():
            raise RegistryError("DENIED", "This manifest is a published version.", 403)
        manifest.delete()


def tag_names(
    repository: Repository | None, last: str, limit: int | None
) -> tuple[list[str], bool]:
    if repository is None:
        return [], False
    query = repository.tags.order_by("name").values_list("name", flat=True)
    if last:
        query = query.filter(name__gt=last)
    if limit is None:
        return list(query), False
    names = list(query[: limit + 1])
    return names[:limit], len(names) > limit


def referrers(repository: Repository | None, digest: str, artifact_type: str) -> list[dict]:
    digest = check_digest(digest)
    if repository is None:
        return []
    query = repository.manifests.filter(subject=digest).order_by("created_at", "pk")
    if artifact_type:
        query = query.filter(artifact_type=artifact_type)
    return [manifest.descriptor() for manifest in query]
