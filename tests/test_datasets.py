"""Datasets are modules of kind "dataset": created, listed, filtered like them; never published."""

from __future__ import annotations

import pytest

from modules import services
from modules.models import DataType, Kind
from publishing.models import BaseEnvironment

pytestmark = pytest.mark.django_db


def make_dataset(owner, slug="cats", visibility="public", data_types=("image", "other")):
    return services.create_module(
        owner,
        name=slug.title(),
        slug=slug,
        kind=Kind.DATASET,
        data_types=list(data_types),
        visibility=visibility,
    )


def test_it_creates_a_dataset_through_the_api_with_the_other_data_type(client, people):
    client.force_login(people.owner)
    response = client.post(
        "/api/v1/modules/",
        {"name": "Sensor dump", "kind": "dataset", "data_types": ["time-series", "other"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "dataset"
    assert response.json()["data_types"] == ["time-series", "other"]


def test_the_create_page_offers_the_dataset_kind_and_preselects_it(client, people):
    client.force_login(people.owner)
    page = client.get("/new/?kind=dataset").content.decode()
    assert '<option value="dataset" selected>Dataset</option>' in page
    response = client.post(
        "/new/",
        {"name": "Cats", "kind": "dataset", "data_types": ["image"], "visibility": "public"},
    )
    assert response.status_code == 302
    assert people.owner.modules.get().is_dataset


def test_the_library_and_the_api_filter_datasets(client, people, public_module):
    make_dataset(people.owner, data_types=[DataType.OTHER])
    listed = client.get("/api/v1/modules/?kind=dataset").json()["results"]
    assert [item["slug"] for item in listed] == ["cats"]
    by_type = client.get("/api/v1/modules/?data_type=other").json()["results"]
    assert [item["slug"] for item in by_type] == ["cats"]
    page = client.get("/?kind=dataset").content.decode()
    assert "olivia/cats" in page and "olivia/public-net" not in page
    assert "olivia/public-net" in client.get("/?kind=model").content.decode()


def test_a_dataset_has_no_publish_button_wizard_or_api(client, people):
    dataset = make_dataset(people.owner)
    dataset.repository.commit_files("master", {"a.csv": b"x\n1\n"}, "Data", "O", "o@example.com")
    BaseEnvironment.objects.create(name="python-3.11", image="mlreef/python:3.11")
    client.force_login(people.owner)
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert "Publish" not in page
    wizard = client.get(f"/{dataset.full_name}/publish/")
    assert wizard.status_code == 302 and wizard.url == dataset.get_absolute_url()
    response = client.post(
        f"/api/v1/modules/{dataset.full_name}/publications/",
        {"entrypoint": "a.py", "base_environment": "python-3.11"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "dataset" in response.json()["detail"]
