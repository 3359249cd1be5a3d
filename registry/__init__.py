"""The hub's own container registry: the OCI Distribution API under /v2/, bound to module rights.

Image repositories are modules (``<namespace>/<module>``): who may pull is who may read the
module; pushing is reserved to publishing's internal credential and to site administrators.
Blobs live content-addressed in a ``BlobStore`` under DATA_DIR; database rows say which
repository may reach which blob, which manifests and tags exist and which uploads are open.
"""
