import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from members.partners.scopes import ALL_SCOPES
from members.partners.services.api_keys import api_key_create


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle windows and last-used gates live in the (Redis) cache: start every test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_client(db):
    """make_client("members:read", ...) -> an APIClient sending a fresh key with those scopes."""

    def make(*scopes: str, header: str = "bearer") -> APIClient:
        issued = api_key_create(name="test partner", scopes=list(scopes))
        client = APIClient()
        if header == "bearer":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
        else:
            client.credentials(HTTP_X_API_KEY=issued.raw_key)
        client.api_key = issued.api_key
        client.raw_key = issued.raw_key
        return client

    return make


@pytest.fixture
def full_client(make_client):
    return make_client(*ALL_SCOPES)
