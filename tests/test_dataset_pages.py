"""Dataset pages: LFS marks and sizes, summary, previews, thumbnails, raw LFS downloads."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from modules import services
from modules.models import LfsObject
from modules.previews import pretty_structured

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_data(settings, tmp_path):
    settings.LFS_DIR = tmp_path / "lfs"
    settings.DATA_DIR = tmp_path  # thumbnails cache
    settings.LFS_UPLOAD_THRESHOLD = 50_000


@pytest.fixture
def dataset(people):
    return services.create_module(
        people.owner, name="Pets", slug="pets", kind="dataset", data_types=["image", "tabular"]
    )


def png(color: str, size=(320, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def upload(client, dataset, files: dict[str, bytes], directory: str = ""):
    return client.post(
        f"/{dataset.full_name}/upload/",
        {
            "files": [SimpleUploadedFile(name, data) for name, data in files.items()],
            "directory": directory,
            "branch": "master",
            "message": "Upload",
        },
    )


def test_large_uploads_and_gitattributes_patterns_go_to_lfs(client, people, dataset):
    client.force_login(people.owner)
    big, table = os.urandom(60_000), b"a,b\n" + b"1,2\n" * 10
    assert upload(client, dataset, {".gitattributes": b"*.csv filter=lfs -text\n"}).status_code
    response = upload(client, dataset, {"big.bin": big, "t.csv": table, "notes.txt": b"hi\n"})
    assert response.status_code == 302
    repository = dataset.repository
    assert repository.lfs_pointer("master", "big.bin").oid == hashlib.sha256(big).hexdigest()
    assert repository.lfs_pointer("master", "t.csv").size == len(table)  # by pattern
    assert repository.read_file("master", "notes.txt") == b"hi\n"
    attributes = repository.read_file("master", ".gitattributes").decode()
    assert attributes == "*.csv filter=lfs -text\n/big.bin filter=lfs diff=lfs merge=lfs -text\n"
    assert LfsObject.objects.count() == 2

    page = client.get(dataset.get_absolute_url()).content.decode()
    summary = page[page.index('data-testid="dataset-summary"') :]
    assert "Total size" in summary and "4 (2 in Git LFS)" in summary
    assert "Image, Tabular" in summary
    tree = page[page.index('data-testid="file-tree"') :]
    assert tree.count('class="tag lfs"') == 2 and "58.6\xa0KB" in tree

    raw = client.get(f"/{dataset.full_name}/raw/?path=big.bin")
    assert b"".join(raw.streaming_content) == big and raw["Content-Length"] == str(len(big))
    api = client.get(f"/api/v1/modules/{dataset.full_name}/raw/?path=t.csv")
    assert b"".join(api.streaming_content) == table
    entries = client.get(f"/api/v1/modules/{dataset.full_name}/tree/").json()
    assert {e["name"]: e["lfs"] for e in entries}["big.bin"] is True


def test_csv_and_tsv_previews_show_fifty_rows_columns_and_a_row_estimate(
    client, people, dataset, settings
):
    client.force_login(people.owner)
    rows = "".join(f"{i},name {i},{i * 2}\n" for i in range(1000))
    tsv = "x\ty\n" + "".join(f"{i}\t{i}\n" for i in range(7))
    settings.LFS_UPLOAD_THRESHOLD = 5_000  # the CSV goes to LFS, the TSV stays in git
    upload(client, dataset, {"d.csv": ("id,name,double\n" + rows).encode(), "s.tsv": tsv.encode()})
    page = client.get(f"/{dataset.full_name}/blob/?path=d.csv").content.decode()
    preview = page[page.index('data-testid="table-preview"') :]
    assert "3 columns" in preview and "1000 rows" in preview and "first 50 shown" in preview
    assert preview.count("<tr>") == 51 and "<th>double</th>" in preview
    assert '<span class="tag lfs"' in page
    page = client.get(f"/{dataset.full_name}/blob/?path=s.tsv").content.decode()
    assert "2 columns · 7 rows" in page and "<th>y</th>" in page


def test_a_large_table_gets_an_estimate_from_its_first_megabyte(client, people, dataset):
    client.force_login(people.owner)
    rows = b"".join(b"%07d,abcdefgh\n" % i for i in range(200_000))  # 3.4 MB
    upload(client, dataset, {"big.csv": b"n,s\n" + rows})
    page = client.get(f"/{dataset.full_name}/blob/?path=big.csv").content.decode()
    assert "about 2000" in page or "about 1999" in page
    assert "2 columns" in page


def test_json_and_yaml_are_pretty_printed_and_other_binaries_download(client, people, dataset):
    client.force_login(people.owner)
    upload(
        client,
        dataset,
        {"m.json": b'{"a":[1,2],"b":{"c":true}}', "c.yaml": b"a: 1\nb: [x, y]\n", "x.bin": b"\0\1"},
    )
    response = client.get(f"/{dataset.full_name}/blob/?path=m.json")
    assert response.context["pretty"] and "&quot;c&quot;" in response.content.decode()
    assert pretty_structured("m.json", b'{"a":[1]}') == '{\n  "a": [\n    1\n  ]\n}\n'
    assert client.get(f"/{dataset.full_name}/blob/?path=c.yaml").context["pretty"]
    assert pretty_structured("bad.json", b"{") is None
    page = client.get(f"/{dataset.full_name}/blob/?path=x.bin").content.decode()
    assert "binary file; download it raw" in page


def test_a_folder_of_images_shows_a_grid_of_cached_thumbnails(client, people, dataset, settings):
    client.force_login(people.owner)
    images = {"red.png": png("red"), "blue.png": png("blue", (2000, 1000))}
    settings.LFS_UPLOAD_THRESHOLD = 10_000  # the large one goes to LFS
    upload(client, dataset, images, directory="images")
    page = client.get(f"/{dataset.full_name}/?path=images").content.decode()
    grid = page[page.index('data-testid="image-grid"') :]
    assert grid.count("<img") == 2 and "thumbnail/?ref=" in grid
    for name in images:
        response = client.get(f"/{dataset.full_name}/thumbnail/?path=images/{name}")
        assert response["Content-Type"] == "image/png"
        thumb = Image.open(io.BytesIO(b"".join(response.streaming_content)))
        assert max(thumb.size) <= 160
    cached = list((settings.DATA_DIR / "thumbnails" / "small").glob("*.png"))
    assert len(cached) == 2
    # a second request is served from the cache (same file, untouched)
    before = {p: p.stat().st_mtime_ns for p in cached}
    client.get(f"/{dataset.full_name}/thumbnail/?path=images/red.png")
    assert {p: p.stat().st_mtime_ns for p in cached} == before
    # not an image, a bad size, a broken image: 4xx with the reason, never a 500
    upload(client, dataset, {"broken.png": b"not a png"})
    assert client.get(f"/{dataset.full_name}/thumbnail/?path=broken.png").status_code == 415
    assert list((settings.DATA_DIR / "thumbnails").rglob("*.tmp")) == []
    assert (
        client.get(f"/{dataset.full_name}/thumbnail/?path=images/red.png&size=x").status_code == 400
    )
    blob = client.get(f"/{dataset.full_name}/blob/?path=images/blue.png").content.decode()
    assert 'data-testid="image-preview"' in blob and "size=large" in blob


def test_private_dataset_thumbnails_and_raw_files_are_hidden_from_outsiders(client, people):
    dataset = services.create_module(
        people.owner,
        name="S",
        slug="s",
        kind="dataset",
        data_types=["image"],
        visibility="private",
    )
    client.force_login(people.owner)
    upload(client, dataset, {"a.png": png("red"), "b.bin": os.urandom(60_000)})
    client.force_login(people.outsider)
    assert client.get(f"/{dataset.full_name}/thumbnail/?path=a.png").status_code == 404
    assert client.get(f"/{dataset.full_name}/raw/?path=b.bin").status_code == 404


def test_a_folder_upload_keeps_the_paths_inside_the_folder(client, people, dataset):
    client.force_login(people.owner)
    folder = [SimpleUploadedFile("a.png", png("red")), SimpleUploadedFile("b.txt", b"b\n")]
    response = client.post(
        f"/{dataset.full_name}/upload/",
        {
            "folder": folder,
            "folder_paths": '["pets/cats/a.png", "pets/b.txt"]',
            "directory": "raw",
            "branch": "master",
            "message": "Folder",
        },
    )
    assert response.status_code == 302
    assert dataset.repository.list_files("master") == ["raw/pets/b.txt", "raw/pets/cats/a.png"]
    # paths that do not match the files (no script ran): base names in the target directory
    client.post(
        f"/{dataset.full_name}/upload/",
        {
            "folder": [SimpleUploadedFile("c.txt", b"c")],
            "folder_paths": "[1, 2]",
            "directory": "",
            "branch": "master",
            "message": "Folder",
        },
    )
    assert "c.txt" in dataset.repository.list_files("master")
    # nothing chosen: a 400 with the reason
    nothing = client.post(
        f"/{dataset.full_name}/upload/", {"directory": "", "branch": "master", "message": "m"}
    )
    assert nothing.status_code == 400 and b"Choose files or a folder" in nothing.content
    escaping = client.post(
        f"/{dataset.full_name}/upload/",
        {
            "folder": [SimpleUploadedFile("d.txt", b"d")],
            "folder_paths": '["../d.txt"]',
            "directory": "",
            "branch": "master",
            "message": "m",
        },
    )
    assert escaping.status_code == 400
