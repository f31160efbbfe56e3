"""D11: malformed input gets a 4xx answer (or a form error), never a 500."""

import json

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from members.accounts.roles import MERCHANDISERS_GROUP
from members.partners.scopes import ALL_SCOPES
from members.partners.services.api_keys import api_key_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def merch(client):
    user = UserFactory(username="merch", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    client.force_login(user)
    client.raise_request_exception = False  # a 500 must show up as a status code here
    return client


@pytest.fixture
def api(db):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(name='p', scopes=list(ALL_SCOPES)).raw_key}")
    return client


def _builder(**extra):
    return {"match": "all", "g0-match": "all", "name": "x", "g0-c0-field": "monetary_365", "g0-c0-op": "gte",
            "g0-c0-value": "100", **extra}


def test_deciding_a_tier_change_that_does_not_exist_is_a_404(merch):
    assert merch.post("/tier-changes/999999/approve/", **HTMX).status_code == 404
    assert merch.post("/tier-changes/999999/reject/", **HTMX).status_code == 404


@pytest.mark.parametrize("action", ["add_condition:x", "add_condition:", "remove:a:b", "remove:1", "remove:0:0:0",
                                    "add_condition:-1", "remove:-1:-1", "nonsense"])
def test_a_malformed_rule_builder_action_is_ignored_or_refused(merch, action):
    response = merch.post("/segments/new/", _builder(action=action), **HTMX)
    assert response.status_code in (200, 400), response.status_code


def test_a_nul_byte_in_a_rule_value_is_a_form_error(merch):
    for url in ("/segments/new/", "/segments/preview/"):
        response = merch.post(url, _builder(**{"g0-c0-value": "10\x000", "action": "save"}), **HTMX)
        assert response.status_code in (200, 400), (url, response.status_code)


@pytest.mark.parametrize("url", ["/recommendations/?q=a%00b", "/recommendations/members/?q=a%00b",
                                 "/recommendations/products/?product_q=a%00b", "/reviews/?q=a%00b",
                                 "/recommendations/buyers/?product=a%00b&category=x%00"])
def test_a_nul_byte_in_a_search_is_answered(merch, url):
    # Nothing stored holds a NUL: searches find nothing, a product named with one is not found.
    assert merch.get(url).status_code in (200, 400, 404)


@pytest.mark.parametrize("url", ["/reviews/?page=99999999999999999999999", "/tier-changes/?page=99999999999999999999999",
                                 "/tier-changes/?tab=history&page=99999999999999999999999"])
def test_an_absurd_page_number_is_answered(merch, url):
    assert merch.get(url).status_code in (200, 400)


@pytest.mark.parametrize("cursor", ["%%%", "AAAA", "eyJpZCI6ICJ4In0=", "eyJpZCI6IDF9", "99999999999999999999999", "cD14", "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==",
                                    "bnVsbA==", "W10=", "eyJpZCI6IDk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OX0="])
@pytest.mark.parametrize("endpoint", ["members", "orders", "reviews", "products", "tier-changes", "segments"])
def test_a_crafted_api_cursor_is_answered_invalid(api, endpoint, cursor):
    response = api.get(f"/api/v1/{endpoint}/", {"cursor": cursor})
    # DRF answers a cursor it cannot use with 404 "Invalid cursor"; a decodable one may simply work.
    assert response.status_code in (200, 404), (endpoint, cursor, response.status_code)


def test_deeply_nested_json_is_a_400(api):
    body = "[" * 5_000 + "]" * 5_000
    for url in ("/api/v1/members/bulk/", "/api/v1/reviews/bulk/"):
        response = api.post(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)


def test_deeply_nested_json_inside_a_record_is_a_400(api):
    nested = json.loads("[" * 500 + "]" * 500)
    response = api.post("/api/v1/members/bulk/", {"records": [{"external_id": "x", "name": nested}]}, format="json")
    assert response.status_code in (200, 400)
