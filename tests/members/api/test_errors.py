import json

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

URL = "/api/v1/members/C-1/"


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    return body


def test_malformed_json_is_400(full_client):
    response = full_client.generic("PUT", URL, '{"joined_at": ', content_type="application/json")
    assert _problem(response, 400)["type"] == "urn:memberhub:problem:parse_error"


def test_wrong_types_are_400_with_field_errors(full_client):
    response = full_client.put(URL, {"joined_at": 5, "name": 42, "marketing_consent": "yes"}, format="json")
    errors = _problem(response, 400)["errors"]
    assert set(errors) == {"joined_at", "name", "marketing_consent"}


def test_unknown_fields_are_named(full_client):
    response = full_client.put(URL, {"joined_at": "2024-01-01T00:00:00Z", "nmae": "x"}, format="json")
    assert _problem(response, 400)["errors"] == {"nmae": ["Unknown field."]}


def test_body_that_is_not_an_object_is_400(full_client):
    _problem(full_client.put(URL, [1, 2], format="json"), 400)
    _problem(full_client.post("/api/v1/members/bulk/", {"records": "x"}, format="json"), 400)


@override_settings(API_MAX_BODY_BYTES=1_000)
def test_too_large_body_is_413_by_content_length_and_by_stream(full_client):
    big = json.dumps({"joined_at": "2024-01-01T00:00:00Z", "name": "x" * 2_000})
    _problem(full_client.generic("PUT", URL, big, content_type="application/json"), 413)
    # A client that under-states Content-Length is still cut off at the limit while reading.
    response = full_client.generic("PUT", URL, big, content_type="application/json", CONTENT_LENGTH="10")
    assert response.status_code in (400, 413)
    import io

    from members.api.parsers import LimitedJSONParser, RequestTooLarge

    with pytest.raises(RequestTooLarge):
        LimitedJSONParser().parse(io.BytesIO(big.encode()))


def test_too_many_bulk_records_is_400(full_client):
    records = [{"external_id": str(n)} for n in range(1_001)]
    body = _problem(full_client.post("/api/v1/members/bulk/", {"records": records}, format="json"), 400)
    assert "records" in body["errors"]


def test_put_body_may_not_contradict_the_url(full_client):
    response = full_client.put(URL, {"external_id": "C-2", "joined_at": "2024-01-01T00:00:00Z"}, format="json")
    assert _problem(response, 400)["errors"] == {"external_id": ["Does not match the URL."]}


def test_unknown_member_is_404_problem(full_client):
    _problem(full_client.get("/api/v1/members/nobody/"), 404)
