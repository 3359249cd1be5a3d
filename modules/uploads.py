"""Browser uploads stop being read at the size limit, instead of landing on disk in full first.

Django parses a multipart body into temporary files before a view runs; this handler goes first
in the chain, counts every byte and stops the parser (without reading the rest) once the
request carries more than one upload may hold.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


def browser_upload_limit() -> int:
    """Files kept in git are bounded by MAX_UPLOAD_SIZE; with Git LFS on, larger files go
    there, bounded by MAX_BROWSER_UPLOAD_SIZE (and the namespace's quota, checked later)."""
    if settings.LFS_UPLOAD_THRESHOLD:
        return max(settings.MAX_BROWSER_UPLOAD_SIZE, settings.MAX_UPLOAD_SIZE)
    return settings.MAX_UPLOAD_SIZE


class LimitedUploadHandler(FileUploadHandler):
    def __init__(self, limit: int, request=None) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit + 64 * 1024:  # + form fields
            self.exceeded = True
        return None

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        if self.exceeded:
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data  # the next handler (temporary file) stores it

    def file_complete(self, file_size: int):
        return None

    @property
    def message(self) -> str:
        return (
            f"The upload is larger than {self.limit} bytes, the most one upload may hold; "
            "push large files with git (Git LFS) instead."
        )
