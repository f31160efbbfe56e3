from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from members.models import Tier
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory, ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def test_default_tier_ladder_is_shipped_as_data():
    assert list(Tier.objects.values_list("code", flat=True)) == ["basic", "silver", "gold", "platinum"]


@pytest.mark.parametrize("rating", [0, 6, 7])
def test_review_rating_outside_one_to_five_is_refused_by_the_database(rating):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewFactory(rating=rating)


def test_order_item_quantity_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderItemFactory(quantity=0)


def test_member_external_id_is_unique():
    MemberFactory(external_id="X1")
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(external_id="X1")


def test_product_sku_is_unique():
    ProductFactory(sku="S1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(sku="S1")


def test_money_round_trips_as_decimal():
    order = OrderFactory(total=Decimal("10.10"))
    order.refresh_from_db()
    assert order.total == Decimal("10.10")
    assert isinstance(order.total, Decimal)


def test_order_item_line_numbers_are_unique_within_an_order():
    item = OrderItemFactory(line_number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderItemFactory(order=item.order, line_number=1)
