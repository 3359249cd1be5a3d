"""The API docs: every operation has a summary, publishing is described, Authorize takes a
personal access token."""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    return yaml.safe_load(client.get("/api/v1/schema/").content)


def test_every_operation_has_a_summary(schema):
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(operations) > 20
    missing = [f"{method} {path}" for path, method, op in operations if not op.get("summary")]
    assert missing == []
    summaries = {op["operationId"]: op["summary"] for _, _, op in operations}
    assert summaries["modules_publications_create"].startswith("Publish a version")


def test_publishing_and_base_environments_are_described(schema):
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}
    assert "publications" in tags["modules"] and "container image" in tags["modules"]
    assert "built on" in tags["base-environments"]
    assert "version" in schema["info"]["description"]


def test_authorize_takes_a_personal_access_token(schema):
    scheme = schema["components"]["securitySchemes"]["personalAccessToken"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert "personal access token" in scheme["description"]
    me = schema["paths"]["/api/v1/users/me/"]["get"]
    assert {"personalAccessToken": []} in me["security"]
