"""Large files are streamed, never read whole into the web process."""

from __future__ import annotations

import tracemalloc

import pytest

pytestmark = pytest.mark.django_db

SIZE = 24 * 1024 * 1024


@pytest.fixture
def big_module(public_module):
    public_module.repository.commit_files(
        "master", {"zeros.bin": bytes(SIZE), "small.txt": b"hi\n"}, "Add", "O", "o@example.com"
    )
    return public_module


@pytest.mark.parametrize("api", [False, True])
def test_raw_downloads_stream_in_chunks(client, big_module, api):
    if api:
        url = f"/api/v1/modules/{big_module.full_name}/raw/?path=zeros.bin"
    else:
        url = big_module.get_absolute_url() + "raw/?path=zeros.bin"
    tracemalloc.start()
    try:
        response = client.get(url)
        received = sum(len(chunk) for chunk in response.streaming_content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 200 and received == SIZE
    assert response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "application/octet-stream"
    assert peak < SIZE // 4, f"peak {peak} bytes while sending {SIZE}"


def test_the_file_viewer_does_not_load_a_file_too_large_to_show(client, big_module):
    tracemalloc.start()
    try:
        page = client.get(big_module.get_absolute_url() + "blob/?path=zeros.bin")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert page.status_code == 200 and b"too large to show" in page.content
    assert peak < SIZE // 4
    small = client.get(big_module.get_absolute_url() + "raw/?path=small.txt")
    assert small.getvalue() == b"hi\n" and small["Content-Type"].startswith("text/plain")


def test_commits_refuse_path_components_over_255_bytes(client, people, public_module):
    client.force_login(people.owner)
    long_name = "é" * 128 + ".py"  # 259 bytes
    response = client.post(
        f"/api/v1/modules/{public_module.full_name}/commits/",
        {"branch": "master", "message": "Add", "files": [{"path": long_name, "content": "x"}]},
        content_type="application/json",
    )
    assert response.status_code == 400 and "255 bytes" in response.content.decode()
    assert public_module.repository.is_empty()
