"""D2: with Redis down, keyed API requests still answer (and are still rate limited), not HTML 500s.

Before the fix every keyed request failed in api_key_mark_used (cache.add raised), and the rate
limiter would have failed next. The test points the cache at a redis-server of its own, SIGKILLs
it mid-test and starts it again.
"""

import pytest
from rest_framework.test import APIClient

from members.models import ApiKey
from members.partners.services.api_keys import api_key_create
from tests.processes import RedisServer, free_fault_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_redis(tmp_path, settings):
    server = RedisServer(free_fault_port(), tmp_path / "redis")
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    yield server
    server.stop()


def _client(*scopes: str) -> tuple[APIClient, ApiKey]:
    issued = api_key_create(name="partner", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
    return client, issued.api_key


def test_keyed_requests_answer_while_redis_is_down_and_after_it_is_back(cache_redis, settings):
    settings.API_THROTTLE_RATE = "1000/min"
    client, key = _client("tiers:read", "members:read")
    assert client.get("/api/v1/tiers/").status_code == 200

    cache_redis.kill()
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=None)
    for path in ("/api/v1/tiers/", "/api/v1/members/", "/api/v1/tiers/"):
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"].startswith("application/json")
    key.refresh_from_db()
    assert key.last_used_at is not None  # recorded through the database instead of the cache gate

    cache_redis.start()
    assert client.get("/api/v1/tiers/").status_code == 200


def test_the_rate_limit_still_applies_while_redis_is_down(cache_redis, settings):
    settings.API_THROTTLE_RATE = "3/min"
    client, _ = _client("tiers:read")
    cache_redis.kill()
    statuses = [client.get("/api/v1/tiers/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    # Bad keys are limited too (per address), also without Redis.
    stranger = APIClient(REMOTE_ADDR="198.51.100.7")
    stranger.credentials(HTTP_AUTHORIZATION="Bearer mh_deadbeef_nope")
    assert [stranger.get("/api/v1/tiers/").status_code for _ in range(4)] == [401, 401, 401, 429]
