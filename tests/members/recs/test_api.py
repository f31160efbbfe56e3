from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from members.models import Recommendation
from members.partners.services.api_keys import api_key_create
from tests.factories import MemberFactory, ProductFactory

URL = "/api/v1/members/{}/recommendations/"
GENERATED = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()  # throttle windows live in Redis
    yield
    cache.clear()


def _client(*scopes):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(name='partner', scopes=list(scopes)).raw_key}")
    return client


@pytest.fixture
def stored(db):
    member = MemberFactory(external_id="C-1")
    for rank, title in ((2, "Wool hat"), (1, "Wool scarf")):
        Recommendation.objects.create(
            member=member, product=ProductFactory(sku=f"S{rank}", title=title, category="Clothes"), rank=rank,
            score=1 - rank / 10, reason="Because you bought Wool sock", model_version="v1", generated_at=GENERATED,
        )
    return member


def test_recommendations_come_best_first_with_reasons(stored, django_assert_num_queries):
    client = _client("recommendations:read")
    with django_assert_num_queries(4):  # the key, its last-used stamp, the member, recommendations + products
        response = client.get(URL.format("C-1"))
    assert response.status_code == 200
    assert [(r["rank"], r["sku"], r["title"]) for r in response.json()] == [(1, "S1", "Wool scarf"), (2, "S2", "Wool hat")]
    assert response.json()[0] == {
        "rank": 1, "sku": "S1", "title": "Wool scarf", "category": "Clothes", "score": 0.9,
        "reason": "Because you bought Wool sock", "model_version": "v1", "generated_at": "2026-11-26T03:00:00Z",
    }


def test_the_recommendations_scope_is_required(stored):
    response = _client("members:read").get(URL.format("C-1"))
    assert response.status_code == 403
    assert "recommendations:read" in response.json()["detail"]
    assert APIClient().get(URL.format("C-1")).status_code == 401


def test_an_unknown_member_is_not_found(stored):
    assert _client("recommendations:read").get(URL.format("NOPE")).status_code == 404


def test_a_member_without_recommendations_gets_an_empty_list(db):
    MemberFactory(external_id="C-2")
    response = _client("recommendations:read").get(URL.format("C-2"))
    assert response.status_code == 200 and response.json() == []
