"""A dataset in a real headless Chromium: create it, upload a table and a folder of images,
see the table preview and the thumbnail grid."""

from __future__ import annotations

import io

import pytest
from django.db import connections
from PIL import Image

from modules.models import Module
from tests.conftest import PASSWORD
from tests.test_browser import page  # noqa: F401 - the Chromium page fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_create_a_dataset_upload_a_table_and_images_and_preview_them(
    hub,
    page,  # noqa: F811 - the fixture imported above
    people,
    tmp_path,
):
    page.goto(hub.url + "/accounts/login/")
    page.fill("#id_username", people.owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("[data-testid=profile-link]")

    page.goto(hub.url + "/new/?kind=dataset")
    page.fill("#id_name", "Pet Photos")
    assert page.input_value("#id_kind") == "dataset"
    page.check("input[name=data_types][value=image]")
    page.check("input[name=data_types][value=tabular]")
    page.click("button:has-text('Create module')")
    page.wait_for_url("**/olivia/pet-photos/")
    assert "Publish" not in page.inner_text(".module-header")

    table = tmp_path / "labels.csv"
    table.write_text("file,label,score\n" + "".join(f"img{i}.png,cat,{i}\n" for i in range(80)))
    page.click("text=Upload files")
    page.set_input_files("#id_files", [str(table)])
    page.click("button:has-text('Commit files')")
    page.wait_for_selector("[data-testid=dataset-summary]")

    folder = tmp_path / "images"
    folder.mkdir()
    for index, color in enumerate(("red", "green", "blue")):
        Image.new("RGB", (640, 480), color).save(folder / f"photo{index}.png")
    page.click("text=Upload files")
    page.set_input_files("#id_folder", str(folder))  # the folder picker
    page.click("button:has-text('Commit files')")
    page.click("[data-testid=file-tree] >> text=images/")
    page.wait_for_selector("[data-testid=image-grid]")
    thumbnails = page.locator("[data-testid=image-grid] img")
    assert thumbnails.count() == 3
    for index in range(3):
        response = page.request.get(hub.url + thumbnails.nth(index).get_attribute("src"))
        assert response.ok and response.headers["content-type"] == "image/png"
        assert max(Image.open(io.BytesIO(response.body())).size) == 160
    page.screenshot(path=str(tmp_path / "grid.png"), full_page=True)

    page.goto(hub.url + "/olivia/pet-photos/")
    summary = page.inner_text("[data-testid=dataset-summary]")
    assert "Files\n4" in summary and "Image, Tabular" in summary
    page.click("[data-testid=file-tree] >> text=labels.csv")
    preview = page.locator("[data-testid=table-preview]")
    assert "3 columns · 80 rows · first 50 shown" in preview.inner_text()
    assert preview.locator("tbody tr").count() == 50
    assert preview.locator("thead th").all_inner_texts() == ["file", "label", "score"]
    page.screenshot(path=str(tmp_path / "table.png"), full_page=True)
    assert Module.objects.get(slug="pet-photos").is_dataset
    connections.close_all()
