import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_schema_endpoint_serves_valid_openapi_with_scopes():
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    put_member = schema["paths"]["/api/v1/members/{external_id}/"]["put"]
    assert {"ApiKeyBearer": ["members:write"]} in put_member["security"]
    assert "`members:write`" in put_member["description"]
    assert "examples" in put_member["requestBody"]["content"]["application/json"]


def test_swagger_ui_is_served_without_a_cdn():
    html = APIClient().get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
