"""D14: requests refused for a bad or missing key, or a missing scope, count against the rate limit.

DRF checks throttles only after authentication and permissions pass, so before the fix a client
could try keys or hammer the API without one and never see a 429 (2,100 such requests got none).
"""

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from members.partners.services.api_keys import api_key_create

pytestmark = pytest.mark.django_db

LIMIT = 5


@pytest.fixture(autouse=True)
def _clean_counters():
    cache.clear()
    yield
    cache.clear()


def _statuses(client: APIClient, n: int, path: str = "/api/v1/tiers/") -> list[int]:
    return [client.get(path).status_code for _ in range(n)]


@override_settings(API_THROTTLE_RATE=f"{LIMIT}/min")
def test_guessing_keys_from_one_address_gets_429():
    client = APIClient()
    statuses = []
    for i in range(LIMIT + 3):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer mh_{i:08x}_not-a-real-secret")
        statuses.append(client.get("/api/v1/tiers/").status_code)
    assert statuses == [401] * LIMIT + [429] * 3
    response = client.get("/api/v1/tiers/")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 60


@override_settings(API_THROTTLE_RATE=f"{LIMIT}/min")
def test_requests_without_a_key_get_429():
    assert _statuses(APIClient(), LIMIT + 2) == [401] * LIMIT + [429] * 2


@override_settings(API_THROTTLE_RATE=f"{LIMIT}/min")
def test_a_malformed_authorization_header_counts_too():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert _statuses(client, LIMIT + 1) == [401] * LIMIT + [429]


@override_settings(API_THROTTLE_RATE=f"{LIMIT}/min")
def test_a_good_key_without_the_scope_is_limited_on_its_own_budget():
    issued = api_key_create(name="out of scope", scopes=["members:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
    assert _statuses(client, LIMIT + 1) == [403] * LIMIT + [429]
    # Counted per key, not per address: a partner's other key from the same host is unaffected.
    other = api_key_create(name="in scope", scopes=["tiers:read"])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {other.raw_key}")
    assert client.get("/api/v1/tiers/").status_code == 200


@override_settings(API_THROTTLE_RATE=f"{LIMIT}/min")
def test_refused_requests_from_another_address_do_not_use_up_a_good_keys_budget():
    flood = APIClient(REMOTE_ADDR="203.0.113.9")
    assert _statuses(flood, LIMIT + 1)[-1] == 429
    issued = api_key_create(name="partner", scopes=["tiers:read"])
    partner = APIClient(REMOTE_ADDR="203.0.113.9")
    partner.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
    assert partner.get("/api/v1/tiers/").status_code == 200
