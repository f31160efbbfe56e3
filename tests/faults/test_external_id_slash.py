"""D5: an external id with "/" used to be accepted and then break /reviews/ and /segments/ (500,
NoReverseMatch) for everyone; such ids are refused wherever ids come in."""

import pytest
from rest_framework.test import APIClient

from members.imports.services.csv_import import import_csv_file
from members.models import Member, Review
from members.partners.scopes import ALL_SCOPES
from members.partners.services.api_keys import api_key_create
from tests.factories import MemberFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(name='partner', scopes=list(ALL_SCOPES)).raw_key}")
    return client


def test_the_api_refuses_a_member_id_with_a_slash_and_keeps_the_others(api_client):
    response = api_client.post("/api/v1/members/bulk/", {"records": [
        {"external_id": "SLASH/ID", "email": "s@example.com", "joined_at": "2024-01-01T00:00:00Z"},
        {"external_id": "PLAIN", "email": "p@example.com", "joined_at": "2024-01-01T00:00:00Z"},
    ]}, format="json")

    assert response.status_code == 200, response.content
    first, second = response.json()["results"]
    assert first["status"] == "rejected" and "'/'" in first["errors"]["external_id"][0]
    assert second["status"] == "created"
    assert list(Member.objects.values_list("external_id", flat=True)) == ["PLAIN"]


def test_the_api_refuses_a_review_id_with_a_slash(api_client):
    member, product = MemberFactory(external_id="M1"), ProductFactory(sku="SKU-1")
    response = api_client.post("/api/v1/reviews/bulk/", {"records": [
        {"external_id": "SLASH/R", "member": member.external_id, "product": product.sku, "rating": 4,
         "created_at": "2024-01-01T00:00:00Z"},
    ]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["status"] == "rejected"
    assert not Review.objects.exists()


def test_the_csv_import_refuses_an_id_with_a_slash_by_line(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text(
        "external_id,email,name,joined_at,country,city,birth_year,gender,status,marketing_consent,tier\n"
        "SLASH/ID,s@example.com,S,2024-01-01,,,,,,,\n"
        "PLAIN,p@example.com,P,2024-01-01,,,,,,,\n"
    )

    report = import_csv_file(kind="members", path=path)

    [error] = report.errors
    assert error.line == 2 and "external_id 'SLASH/ID' must not contain '/'" in error.reason
    assert list(Member.objects.values_list("external_id", flat=True)) == ["PLAIN"]


def test_the_review_list_keeps_working_after_a_slash_id_was_offered(client, superuser, api_client):
    member, product = MemberFactory(external_id="M1"), ProductFactory(sku="SKU-1")
    api_client.post("/api/v1/reviews/bulk/", {"records": [
        {"external_id": "SLASH/R", "member": member.external_id, "product": product.sku, "rating": 4,
         "created_at": "2024-01-01T00:00:00Z"},
        {"external_id": "PLAIN-R", "member": member.external_id, "product": product.sku, "rating": 5,
         "created_at": "2024-01-02T00:00:00Z"},
    ]}, format="json")
    client.force_login(superuser)
    client.raise_request_exception = False

    response = client.get("/reviews/")

    assert response.status_code == 200  # it answered 500 (NoReverseMatch) once SLASH/R was stored
    assert "PLAIN-R" in response.content.decode()
