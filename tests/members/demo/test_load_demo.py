"""manage.py load_demo: a small demo shop, idempotency, reviews by buyers, the synthetic shop."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Exists, F, OuterRef

from members.models import Member, Order, OrderItem, Product, Review

pytestmark = pytest.mark.django_db

TODAY = "2026-11-26"


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", "--today", TODAY, *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, dict]:
    """Every row's natural key and updated_at: a second load must leave both alone."""
    return {
        "members": dict(Member.objects.values_list("external_id", "updated_at")),
        "products": dict(Product.objects.values_list("sku", "updated_at")),
        "orders": dict(Order.objects.values_list("external_id", "updated_at")),
        # Order lines have no updated_at: their id and values show a rewrite or a change.
        "order_items": {
            (order, line): rest
            for order, line, *rest in OrderItem.objects.values_list(
                "order__external_id", "line_number", "id", "product_id", "quantity", "unit_price"
            )
        },
        "reviews": dict(Review.objects.values_list("external_id", "updated_at")),
    }


def test_a_small_demo_loads_every_row_it_reports():
    output = load("--limit-members", "50")

    assert Member.objects.filter(external_id__startswith="DEMO-").count() == 50
    assert Product.objects.filter(sku__startswith="CL-").count() == 1094
    orders, items, reviews = Order.objects.count(), OrderItem.objects.count(), Review.objects.count()
    assert f"1094 products, 50 members, {orders} orders, {items} order_items, {reviews} reviews" in output
    assert reviews > 100
    assert "0 rejected" in output and " 1 rejected" not in output


def test_loading_the_demo_twice_changes_nothing():
    load("--limit-members", "50")
    before = snapshot()

    output = load("--limit-members", "50")

    assert snapshot() == before
    for kind in ("products", "members", "orders", "order_items", "reviews"):
        assert f"{kind}: " in output
    assert " 0 created, 0 updated" in output and all(
        ", 0 created, 0 updated," in line for line in output.splitlines() if "created" in line
    )


def test_every_review_is_written_by_a_member_who_bought_the_product_in_that_order():
    load("--limit-members", "50")

    bought = OrderItem.objects.filter(
        order=OuterRef("order"), order__member=OuterRef("member"), product=OuterRef("product")
    )
    assert Review.objects.count() > 0
    assert not Review.objects.filter(order__isnull=True).exists()
    assert not Review.objects.exclude(Exists(bought)).exists()
    assert not Review.objects.filter(created_at__lt=F("order__placed_at")).exists()


def test_demo_members_are_people_with_a_country_city_and_birth_year():
    load("--limit-members", "50")

    members = Member.objects.filter(external_id__startswith="DEMO-")
    assert not members.filter(name="").exists()
    assert not members.filter(email="").exists()
    assert not members.filter(birth_year__isnull=True).exists()
    assert members.exclude(city="").count() >= 45  # a few customers' country is "Unspecified"
    assert {m.tier.rank for m in members} == {0}


def test_the_synthetic_shop_loads_and_reloads_without_changes():
    output = load("--synthetic", "--members", "200")
    before = snapshot()

    assert Member.objects.filter(external_id__startswith="SYN-").count() == 200
    assert "synthetic shop (200 members, seed 7)" in output
    assert Order.objects.count() >= 600
    load("--synthetic", "--members", "200")
    assert snapshot() == before


@pytest.mark.parametrize(
    "args, message",
    [
        (("--synthetic",), "--synthetic and --members N go together"),
        (("--members", "10"), "--synthetic and --members N go together"),
        (("--synthetic", "--members", "10", "--limit-members", "5"), "--limit-members applies to the demo shop"),
    ],
)
def test_option_mistakes_are_explained(args, message):
    with pytest.raises(CommandError, match=message):
        load(*args)
