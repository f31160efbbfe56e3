"""GET /api/v1/reviews/{external_id}/ carries the review analysis (read-only)."""

import pytest

from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    from rest_framework.test import APIClient

    from members.partners.services.api_keys import api_key_create

    issued = api_key_create(name="partner", scopes=["reviews:read", "reviews:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
    return client


def test_review_detail_includes_the_analysis(reader):
    review = ReviewFactory(
        body="Northwind at $20", sentiment="positive", sentiment_confidence=0.8,
        sentiment_probabilities={"negative": 0.1, "neutral": 0.1, "positive": 0.8}, topics=["price_value"],
        entities=[{"start": 0, "end": 9, "label": "BRAND", "text": "Northwind", "score": 1.0}],
        model_version="sentiment-v2",
    )

    body = reader.get(f"/api/v1/reviews/{review.external_id}/").json()

    assert body["sentiment"] == "positive" and body["sentiment_probabilities"]["positive"] == 0.8
    assert body["topics"] == ["price_value"] and body["entities"][0]["label"] == "BRAND"
    assert body["model_version"] == "sentiment-v2" and "embedding" not in body


def test_analysis_fields_cannot_be_written(reader):
    review = ReviewFactory()
    payload = {"member": review.member.external_id, "product": review.product.sku, "rating": 2,
               "created_at": "2024-05-20T18:00:00Z", "entities": [{"start": 0}], "sentiment": "negative"}

    response = reader.put(f"/api/v1/reviews/{review.external_id}/", payload, format="json")

    assert response.status_code == 400  # strict input: unknown / read-only fields are refused
