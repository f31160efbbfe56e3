"""The lean list pages (values() + plain functions) answer byte for byte what the ModelSerializers
answer for the same rows: nulls, blanks, decimals, microseconds, JSON fields, another time zone."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from members.core.api.serializers.catalog import PRODUCT_LIST_FIELDS, ProductSerializer, product_rows_out
from members.core.api.serializers.members import MEMBER_LIST_FIELDS, MemberSerializer, member_rows_out
from members.core.api.serializers.orders import ORDER_LIST_FIELDS, OrderSerializer, order_rows_out
from members.core.api.serializers.reviews import REVIEW_LIST_FIELDS, ReviewSerializer, review_rows_out
from members.core.selectors.api_reads import (
    api_member_queryset,
    api_order_queryset,
    api_product_queryset,
    api_review_queryset,
)
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory, ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db

ODD_TIME = datetime(1999, 12, 31, 23, 59, 58, 123456, tzinfo=UTC)


@pytest.fixture
def rows():
    """Rows that exercise every conversion: nulls, blanks, odd decimals and times, raw JSON."""
    plain = MemberFactory(birth_year=None, gender="", email="", city="", joined_at=ODD_TIME)
    MemberFactory(birth_year=1985, gender="f", marketing_consent=True, status="closed")
    cheap = ProductFactory(price=Decimal("0.50"), description="", brand="")
    dear = ProductFactory(price=Decimal("1234567890.00"), active=False)
    empty_order = OrderFactory(member=plain, total=Decimal("0.00"), channel="", placed_at=ODD_TIME)
    order = OrderFactory(total=Decimal("99.80"), status="returned")
    OrderItemFactory(order=order, line_number=2, product=dear, quantity=3, unit_price=Decimal("10.05"))
    OrderItemFactory(order=order, line_number=1, product=cheap, quantity=1, unit_price=Decimal("0.00"))
    ReviewFactory(member=plain, product=cheap, order=None)  # unscored: nulls and empty JSON
    ReviewFactory(
        member=order.member, product=dear, order=order, rating=1, title="", created_at=ODD_TIME,
        sentiment="negative", sentiment_confidence=0.5, sentiment_probabilities={"negative": 1, "positive": 0.25},
        topics=["size_fit", 3], entities=[{"start": 0, "end": 4, "label": "brand", "text": "Acme", "score": 0.9}],
        model_version="sentiment-v3", scored_at=ODD_TIME + timedelta(seconds=1),
    )
    return empty_order


def _render(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
@pytest.mark.parametrize(("queryset", "serializer", "fields", "rows_out"), [
    (api_member_queryset, MemberSerializer, MEMBER_LIST_FIELDS, member_rows_out),
    (api_product_queryset, ProductSerializer, PRODUCT_LIST_FIELDS, product_rows_out),
    (api_order_queryset, OrderSerializer, ORDER_LIST_FIELDS, order_rows_out),
    (api_review_queryset, ReviewSerializer, REVIEW_LIST_FIELDS, review_rows_out),
])
def test_lean_rows_equal_the_model_serializer_output(rows, zone, queryset, serializer, fields, rows_out):
    with timezone.override(zone):
        expected = serializer(list(queryset().order_by("-id")), many=True).data
        lean = rows_out(list(queryset().prefetch_related(None).order_by("-id").values(*fields)))
    assert len(lean) >= 2
    assert _render(lean) == _render(expected)


def test_an_order_without_items_lists_an_empty_items_array(rows, full_client):
    body = full_client.get(f"/api/v1/orders/?member={rows.member.external_id}").json()
    assert [(r["external_id"], r["items"]) for r in body["results"]] == [(rows.external_id, [])]
