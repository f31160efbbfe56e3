import pytest
from rest_framework.test import APIClient

from members.partners.services.api_keys import api_key_revoke
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/members/"


def _assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:memberhub:problem:")
    return body


def test_missing_key_is_401_with_www_authenticate():
    response = APIClient().get(MEMBERS)
    _assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_invalid_key_is_401(make_client):
    client = make_client("members:read")
    client.credentials(HTTP_AUTHORIZATION=client.raw_key[:-2].join(["Bearer ", "xx"]))
    _assert_problem(client.get(MEMBERS), 401)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-key")
    _assert_problem(client.get(MEMBERS), 401)


def test_revoked_key_is_401(make_client):
    client = make_client("members:read")
    assert client.get(MEMBERS).status_code == 200
    api_key_revoke(prefix=client.api_key.prefix)
    _assert_problem(client.get(MEMBERS), 401)


def test_the_key_row_is_read_once_then_served_from_the_cache(make_client, django_assert_num_queries):
    client = make_client("members:read")
    with django_assert_num_queries(3):  # key, last_used_at UPDATE, member page
        assert client.get(MEMBERS).status_code == 200
    with django_assert_num_queries(1):  # member page
        assert client.get(MEMBERS).status_code == 200


def test_a_wrong_secret_is_401_also_when_the_key_row_is_cached(make_client):
    client = make_client("members:read")
    assert client.get(MEMBERS).status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {client.raw_key[:-1]}{'A' if client.raw_key[-1] != 'A' else 'B'}")
    _assert_problem(client.get(MEMBERS), 401)


def test_x_api_key_header_is_accepted(make_client):
    assert make_client("members:read", header="x-api-key").get(MEMBERS).status_code == 200


def test_read_scope_cannot_write_members_or_read_orders(make_client):
    client = make_client("members:read")
    member = MemberFactory()
    assert client.get(f"{MEMBERS}{member.external_id}/").status_code == 200
    body = _assert_problem(client.put(f"{MEMBERS}{member.external_id}/", {"joined_at": "2024-01-01T00:00:00Z"},
                                      format="json"), 403)
    assert "members:write" in body["detail"]
    _assert_problem(client.get("/api/v1/orders/"), 403)
    _assert_problem(client.post(f"{MEMBERS}bulk/", {"records": []}, format="json"), 403)


def test_last_used_is_recorded_once_a_minute(make_client, django_assert_num_queries):
    client = make_client("members:read")
    client.get(MEMBERS)
    client.api_key.refresh_from_db()
    first = client.api_key.last_used_at
    assert first is not None
    # member page only: the key row is cached, no UPDATE of last_used_at within the minute
    with django_assert_num_queries(1):
        client.get(MEMBERS)
    client.api_key.refresh_from_db()
    assert client.api_key.last_used_at == first


def test_staff_session_reads_but_only_superuser_writes(client):
    staff = UserFactory(username="browser")
    client.force_login(staff)
    assert client.get(MEMBERS, HTTP_ACCEPT="application/json").status_code == 200
    response = client.put(f"{MEMBERS}X1/", {"joined_at": "2024-01-01T00:00:00Z"},
                          content_type="application/json")
    assert response.status_code == 403
