"""The Online Retail II converter and importer on a crafted slice holding each kind of mess."""

import csv
import gzip
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from members.core.models.order import REVENUE_STATUSES
from members.imports.services.online_retail import (
    SKIP_DUPLICATE,
    SKIP_GUEST,
    SKIP_MALFORMED,
    SKIP_NON_PRODUCT,
    SKIP_PRICE,
    SKIP_QUANTITY,
    OnlineRetailFormatError,
    online_retail_convert,
    online_retail_import,
)
from members.models import Member, Order, OrderItem, Product

MESS = Path(__file__).resolve().parents[2] / "data" / "online_retail" / "mess.csv"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def converted(tmp_path):
    return online_retail_convert(source=MESS, out_dir=tmp_path / "out")


def test_each_skipped_line_is_counted_once_under_its_reason(converted):
    assert converted.rows_read == 26
    assert converted.lines_kept == 9
    assert dict(converted.skipped) == {
        SKIP_DUPLICATE: 1,
        SKIP_NON_PRODUCT: 8,  # POST, M, BANK CHARGES, TEST001, gift voucher, ADJUST, AMAZONFEE, D
        SKIP_GUEST: 2,  # including the bad-debt adjustment, which has no customer either
        SKIP_PRICE: 3,  # 0.0, -1.0 and 0.001 (rounds to nothing)
        SKIP_QUANTITY: 2,  # a cancellation with +3 and a sale with -5
        SKIP_MALFORMED: 1,
    }


def test_cancellations_become_returned_orders_with_positive_quantities(converted):
    orders = {row["external_id"]: row for row in read_rows(converted.paths["orders"])}
    items = read_rows(converted.paths["order_items"])

    assert orders["OR-C489449"]["status"] == "returned"
    assert orders["OR-C489449"]["total"] == "5.90"
    assert [(i["sku"], i["quantity"]) for i in items if i["order_external_id"] == "OR-C489449"] == [("85123A", "2")]
    assert {row["status"] for key, row in orders.items() if key != "OR-C489449"} == {"delivered"}
    assert converted.returned_orders == 1


def test_order_totals_and_line_numbers_follow_the_kept_lines(converted):
    orders = {row["external_id"]: row["total"] for row in read_rows(converted.paths["orders"])}
    items = [(i["order_external_id"], i["line_number"], i["sku"]) for i in read_rows(converted.paths["order_items"])]

    assert orders == {
        "OR-489434": "164.40", "OR-489435": "49.65", "OR-489437": "11.80", "OR-C489449": "5.90",
        "OR-489451": "3.75", "OR-489452": "15.30", "OR-489457": "5.90",
    }
    # The duplicate of line 2 and the postage line are gone; numbering has no gaps.
    assert items[:4] == [
        ("OR-489434", "1", "85048"), ("OR-489434", "2", "79323P"),
        ("OR-489435", "1", "85048"), ("OR-489435", "2", "85048"),
    ]


def test_product_title_is_the_commonest_description_and_lower_case_codes_merge(converted):
    products = {row["sku"]: row for row in read_rows(converted.paths["products"])}

    assert set(products) == {"85048", "79323P", "85123A", "99999", "21733"}
    assert products["85123A"]["title"] == "WHITE HANGING HEART T-LIGHT HOLDER"  # 2 of 3 lines, spaces collapsed
    assert products["85123A"]["description"] == "Also sold as: CREAM HANGING HEART T-LIGHT HOLDER"
    assert products["85048"]["title"] == "15CM CHRISTMAS GLASS BALL 20 LIGHTS"  # a tie: first seen wins
    assert products["85048"]["price"] == "6.95"  # the commonest unit price
    assert products["99999"]["title"] == "99999"  # no description anywhere: the code
    assert {row["currency"] for row in products.values()} == {"GBP"}


def test_members_are_anonymous_with_country_and_first_invoice(converted):
    members = {row["external_id"]: row for row in read_rows(converted.paths["members"])}

    assert set(members) == {"OR-13085", "OR-13078", "OR-13090"}  # "13078.0" is the same customer
    assert members["OR-13078"]["country"] == "France"  # 3 French lines beat 1 German
    assert members["OR-13078"]["joined_at"] == "2009-12-03T09:30:00+00:00"
    assert members["OR-13090"]["country"] == ""  # "Unspecified"
    assert {(row["name"], row["email"]) for row in members.values()} == {("", "")}


def test_a_file_without_the_online_retail_columns_is_refused(tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_text("external_id,total\nA,1\n", encoding="utf-8")

    with pytest.raises(OnlineRetailFormatError, match="Customer ID"):
        online_retail_convert(source=bad, out_dir=tmp_path / "out")


def test_a_gzipped_file_converts_to_the_same_csvs(tmp_path, converted):
    packed = tmp_path / "mess.csv.gz"
    with MESS.open("rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)

    again = online_retail_convert(source=packed, out_dir=tmp_path / "from-gzip")

    for kind, path in converted.paths.items():
        assert again.paths[kind].read_bytes() == path.read_bytes(), kind


@pytest.mark.django_db
def test_import_loads_the_slice_and_returned_orders_do_not_count_as_spend(tmp_path):
    result = online_retail_import(source=MESS, work_dir=tmp_path)

    assert result.ok, result.reports
    assert Member.objects.filter(external_id__startswith="OR-").count() == 3
    assert Product.objects.count() == 5
    assert OrderItem.objects.count() == 9
    member = Member.objects.get(external_id="OR-13078")
    assert member.joined_at == datetime(2009, 12, 3, 9, 30, tzinfo=UTC)
    assert member.tier.rank == 0  # new members start on the lowest tier
    spend = sum(o.total for o in Order.objects.filter(member=member, status__in=REVENUE_STATUSES))
    assert spend == Decimal("11.80") + Decimal("3.75") + Decimal("15.30")  # the 5.90 return is not spend


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    online_retail_import(source=MESS, work_dir=tmp_path / "first")
    second = online_retail_import(source=MESS, work_dir=tmp_path / "second")

    assert {kind: (r.created, r.updated, r.rejected) for kind, r in second.reports.items()} == {
        "products": (0, 0, 0), "members": (0, 0, 0), "orders": (0, 0, 0), "order_items": (0, 0, 0),
    }
