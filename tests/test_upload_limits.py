"""Browser uploads stop being read at the limit instead of landing on disk in full."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

pytestmark = pytest.mark.django_db

LIMIT = 200_000


@pytest.fixture
def stored(monkeypatch):
    """Bytes that reached the temporary files of uploads."""
    written = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def counting(self, raw_data, start):
        written.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting)
    return written


@pytest.mark.parametrize("lfs_threshold", [0, 1000])
def test_an_upload_over_the_limit_is_cut_off_and_refused(
    client, people, public_module, settings, stored, lfs_threshold
):
    settings.MAX_UPLOAD_SIZE = LIMIT
    settings.MAX_BROWSER_UPLOAD_SIZE = LIMIT
    settings.LFS_UPLOAD_THRESHOLD = lfs_threshold
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1  # every file goes through a temporary file
    client.force_login(people.writer)
    big = SimpleUploadedFile("big.bin", b"\x01" * (LIMIT * 20))
    response = client.post(
        public_module.get_absolute_url() + "upload/",
        {"files": [big], "branch": "master", "message": "Add", "directory": ""},
    )
    assert response.status_code == 413
    assert b"larger than 200000 bytes" in response.content
    assert sum(stored) <= LIMIT  # not 4 MB written first and refused afterwards
    assert public_module.repository.is_empty()


def test_uploads_within_the_limit_still_work(client, people, public_module, settings):
    settings.MAX_UPLOAD_SIZE = LIMIT
    settings.LFS_UPLOAD_THRESHOLD = 0
    client.force_login(people.writer)
    response = client.post(
        public_module.get_absolute_url() + "upload/",
        {
            "files": [SimpleUploadedFile("a.py", b"x = 1\n")],
            "branch": "master",
            "message": "Add",
            "directory": "",
        },
    )
    assert response.status_code == 302
    assert public_module.repository.list_files("master") == ["a.py"]


def test_the_upload_page_still_checks_csrf(people, public_module):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people.writer)
    response = client.post(
        public_module.get_absolute_url() + "upload/",
        {"files": [SimpleUploadedFile("a.py", b"1")], "branch": "master", "message": "m"},
    )
    assert response.status_code == 403
