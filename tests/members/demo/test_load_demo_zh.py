"""manage.py load_demo --lang zh: a small Chinese shop from ../shared/datasets/waimai_10k.

The review file's licence is unknown, so it is never in the repository: these tests read it from
../shared beside the checkout (where CI has it) and skip, saying so, where it is absent.
"""

import csv
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Exists, F, OuterRef

from members.demo.services.demo_shop_zh_data import WAIMAI_DEFAULT_PATH, WAIMAI_FILE_NAME
from members.models import Member, Order, OrderItem, Product, Review

pytestmark = pytest.mark.django_db

TODAY = "2026-11-26"
WAIMAI_CSV = WAIMAI_DEFAULT_PATH / WAIMAI_FILE_NAME
needs_waimai = pytest.mark.skipif(
    not WAIMAI_CSV.is_file(), reason=f"the waimai_10k reviews are not at {WAIMAI_CSV} (../shared beside the repo)"
)
HAN = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", "--today", TODAY, "--lang", "zh", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def small_zh_demo() -> str:
    return load("--limit-members", "40")


def waimai_labels() -> dict[str, bool]:
    """Review external id -> positive, straight from the file (row numbers after the header)."""
    with WAIMAI_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return {f"ZH-R{number}": row["label"] == "1" for number, row in enumerate(csv.DictReader(handle), start=1)}


@needs_waimai
def test_a_small_chinese_demo_loads_every_row_it_reports(small_zh_demo):
    orders, items, reviews = Order.objects.count(), OrderItem.objects.count(), Review.objects.count()
    products = Product.objects.filter(sku__startswith="WM-").count()
    assert f"{products} products, 40 members, {orders} orders, {items} order_items, {reviews} reviews" in small_zh_demo
    assert Member.objects.filter(external_id__startswith="ZH-").count() == 40
    assert reviews > 50
    assert "0 rejected" in small_zh_demo and " 1 rejected" not in small_zh_demo


@needs_waimai
def test_members_have_chinese_names_and_cities(small_zh_demo):
    members = Member.objects.filter(external_id__startswith="ZH-")
    assert all(HAN.match(name) for name in members.values_list("name", flat=True))
    assert all(HAN.match(city) for city in members.values_list("city", flat=True))
    assert set(members.values_list("country", flat=True)) == {"中国"}
    assert not members.filter(birth_year__isnull=True).exists()


@needs_waimai
def test_prices_and_orders_are_in_yuan(small_zh_demo):
    assert set(Product.objects.values_list("currency", flat=True)) == {"CNY"}
    assert set(Order.objects.values_list("currency", flat=True)) == {"CNY"}
    assert all(re.search(r"[\u4e00-\u9fff]", title) for title in Product.objects.values_list("title", flat=True))


@needs_waimai
def test_every_review_is_by_a_member_who_bought_the_dish_in_a_delivered_order(small_zh_demo):
    bought = OrderItem.objects.filter(
        order=OuterRef("order"), order__member=OuterRef("member"), product=OuterRef("product")
    )
    assert Review.objects.count() > 0
    assert not Review.objects.filter(order__isnull=True).exists()
    assert not Review.objects.exclude(order__status="delivered").exists()
    assert not Review.objects.exclude(Exists(bought)).exists()
    assert not Review.objects.filter(created_at__lt=F("order__placed_at")).exists()


@needs_waimai
def test_stars_follow_the_reviewers_label_and_the_language_is_chinese(small_zh_demo):
    positive = waimai_labels()
    stars = dict(Review.objects.values_list("external_id", "rating"))

    assert set(Review.objects.values_list("language", flat=True)) == {"zh"}
    assert all(stars[review] in ((4, 5) if positive[review] else (1, 2)) for review in stars)
    assert {True, False} <= {positive[review] for review in stars}


@needs_waimai
def test_loading_the_chinese_demo_twice_changes_nothing(small_zh_demo):
    output = load("--limit-members", "40")

    assert all(", 0 created, 0 updated," in line for line in output.splitlines() if "created" in line)


def test_a_missing_review_file_names_the_path_and_the_option(tmp_path):
    missing = tmp_path / "nowhere"

    with pytest.raises(CommandError, match=r"nowhere/waimai_10k\.csv.*--reviews-path") as raised:
        load("--reviews-path", str(missing))

    assert "../shared/datasets/waimai_10k" in str(raised.value)
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (("--synthetic", "--members", "10"), "--synthetic builds the English shop only"),
    ],
)
def test_chinese_option_mistakes_are_explained(args, message):
    with pytest.raises(CommandError, match=message):
        load(*args)


def test_the_reviews_path_needs_the_chinese_shop():
    with pytest.raises(CommandError, match="--reviews-path is for the Chinese shop"):
        call_command("load_demo", "--reviews-path", str(Path("/tmp")), stdout=StringIO())
