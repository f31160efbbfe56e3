"""The demo shop's generators: catalogue, sales mapping, review placement, synthetic shop.

These read and write files only; test_load_demo.py covers loading them into the database.
"""

import csv
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from members.demo.services.demo_shop import demo_shop_write, quantity_band, stock_code_products
from members.demo.services.demo_shop_data import (
    CLASS_NOUNS_AND_PRICES,
    DemoProduct,
    RetailSampleLine,
    clothing_reviews_read,
    demo_catalog_build,
)
from members.demo.services.demo_shop_synthetic import demo_synthetic_write

ANCHOR = date(2026, 11, 26)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory):
    paths, counts, _ = demo_shop_write(out_dir=tmp_path_factory.mktemp("demo"), seed=7, anchor_date=ANCHOR)
    return paths, counts


@pytest.fixture(scope="module")
def catalog():
    return demo_catalog_build(reviews=clothing_reviews_read(), seed=7)


def test_wholesale_quantities_band_into_one_to_three_garments():
    assert [quantity_band(q) for q in (1, 6, 11, 12, 24, 47, 48, 480)] == [1, 1, 1, 2, 2, 2, 3, 3]


def test_stock_codes_map_onto_items_by_popularity_quantile():
    items = [
        DemoProduct(sku=f"CL-{n}", clothing_id=str(n), title="", description="", category="", brand="",
                    price=Decimal(1), review_count=reviews)
        for n, reviews in ((1, 6), (2, 3), (3, 1))
    ]
    lines = [
        RetailSampleLine(customer_id="1", invoice=str(i), invoiced_at=datetime(2010, 1, 1, tzinfo=UTC),
                         country="", stock_code=code, quantity=1)
        for i, code in enumerate("AAAAABBBCD")
    ]

    mapping = stock_code_products(lines, items)

    # A holds 0-50 % of the lines (item 1 holds 0-60 % of reviews), B 50-80 %, C 80-90 %, D 90-100 %.
    assert {code: product.sku for code, product in mapping.items()} == {
        "A": "CL-1", "B": "CL-2", "C": "CL-2", "D": "CL-3",
    }


def test_the_catalogue_has_one_titled_priced_product_per_clothing_item(catalog):
    assert len(catalog) == len({r.clothing_id for r in clothing_reviews_read()})
    assert len({p.title for p in catalog}) == len(catalog)
    for product in catalog:
        assert product.title.endswith(f" #{product.clothing_id}")
        if product.category in CLASS_NOUNS_AND_PRICES:
            noun, low, high = CLASS_NOUNS_AND_PRICES[product.category]
            assert noun in product.title
            assert low <= product.price <= high + 8
    assert catalog[0].review_count == max(p.review_count for p in catalog)


def test_the_catalogue_is_the_same_for_a_seed_and_prices_change_with_it(catalog):
    # __wrapped__: build afresh rather than get the cached catalogue back.
    again = demo_catalog_build.__wrapped__(reviews=clothing_reviews_read(), seed=7)
    other = demo_catalog_build.__wrapped__(reviews=clothing_reviews_read(), seed=8)

    assert again == catalog
    assert [p.title for p in other] == [p.title for p in catalog]  # titles come from the reviews
    assert [p.price for p in other] != [p.price for p in catalog]


def test_the_full_demo_has_the_target_size(full_demo):
    _, counts = full_demo

    assert 4000 <= counts["members"] <= 4500
    assert 15_000 <= counts["orders"] <= 25_000
    assert counts["reviews"] == 18_783  # every clothing review finds a buyer


def test_history_ends_two_days_before_the_anchor_with_recent_orders_in_flight(full_demo):
    paths, _ = full_demo
    orders = rows(paths["orders"])
    newest = max(datetime.fromisoformat(o["placed_at"]) for o in orders)
    statuses = Counter(o["status"] for o in orders)

    assert newest.date() == ANCHOR - timedelta(days=2)
    assert statuses["delivered"] > 0.7 * len(orders)
    assert statuses["paid"] > 0 and statuses["shipped"] > 0 and statuses["returned"] > 0
    last_30 = [o for o in orders if datetime.fromisoformat(o["placed_at"]).date() > ANCHOR - timedelta(days=30)]
    assert len(last_30) > 500


def test_every_review_belongs_to_a_delivered_order_of_its_member_that_holds_the_item(full_demo):
    paths, _ = full_demo
    orders = {o["external_id"]: o for o in rows(paths["orders"])}
    lines = {(i["order_external_id"], i["sku"]) for i in rows(paths["order_items"])}

    for review in rows(paths["reviews"]):
        order = orders[review["order_external_id"]]
        assert order["member_external_id"] == review["member_external_id"]
        assert order["status"] == "delivered"
        assert (order["external_id"], review["product_sku"]) in lines
        written = datetime.fromisoformat(review["created_at"])
        assert datetime.fromisoformat(order["placed_at"]) < written < datetime(2026, 11, 26, tzinfo=UTC)


def test_no_member_reviews_an_item_twice(full_demo):
    paths, _ = full_demo
    pairs = Counter((r["member_external_id"], r["product_sku"]) for r in rows(paths["reviews"]))

    assert pairs.most_common(1)[0][1] == 1


def test_order_totals_add_up_their_lines(full_demo):
    paths, _ = full_demo
    totals: Counter = Counter()
    for item in rows(paths["order_items"]):
        totals[item["order_external_id"]] += Decimal(item["unit_price"]) * int(item["quantity"])
        assert 1 <= int(item["quantity"]) <= 3

    assert all(Decimal(o["total"]) == totals[o["external_id"]] for o in rows(paths["orders"]))


def test_a_limited_demo_is_byte_identical_for_a_seed_and_differs_for_another(tmp_path):
    first, counts, _ = demo_shop_write(out_dir=tmp_path / "a", seed=7, anchor_date=ANCHOR, limit_members=50)
    second, _, _ = demo_shop_write(out_dir=tmp_path / "b", seed=7, anchor_date=ANCHOR, limit_members=50)
    other, _, _ = demo_shop_write(out_dir=tmp_path / "c", seed=8, anchor_date=ANCHOR, limit_members=50)

    assert counts["members"] == 50
    assert all(first[kind].read_bytes() == second[kind].read_bytes() for kind in first)
    assert first["members"].read_bytes() != other["members"].read_bytes()


def test_the_synthetic_shop_is_deterministic_for_a_seed(tmp_path):
    first, counts = demo_synthetic_write(out_dir=tmp_path / "a", members=200, seed=7, anchor_date=ANCHOR)
    second, _ = demo_synthetic_write(out_dir=tmp_path / "b", members=200, seed=7, anchor_date=ANCHOR)
    other, _ = demo_synthetic_write(out_dir=tmp_path / "c", members=200, seed=8, anchor_date=ANCHOR)

    assert all(first[kind].read_bytes() == second[kind].read_bytes() for kind in first)
    assert first["orders"].read_bytes() != other["orders"].read_bytes()
    assert counts["members"] == 200
    assert 3.5 <= counts["orders"] / 200 <= 6.5  # about five orders per member
    assert counts["reviews"] > 0
