import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(API_THROTTLE_RATE="3/min")
def test_requests_over_the_rate_get_429_with_retry_after(make_client):
    client = make_client("tiers:read")
    statuses = [client.get("/api/v1/tiers/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/tiers/")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 60


@override_settings(API_THROTTLE_RATE="2/min")
def test_each_key_has_its_own_budget(make_client):
    first, second = make_client("tiers:read"), make_client("tiers:read")
    assert [first.get("/api/v1/tiers/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/tiers/").status_code == 200
