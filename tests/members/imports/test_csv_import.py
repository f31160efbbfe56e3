"""import_csv_file on Postgres: good files, idempotent re-imports, updates, batches."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from members.imports.services.csv_import import IMPORT_KINDS, ImportReport, RowError, import_csv_file
from members.imports.services.csv_import_specs import SPECS
from members.models import Member, Order, OrderItem, Product, Review, Tier
from tests.factories import MemberFactory, OrderFactory, tier

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "csv"
SHOP_KINDS = ("products", "members", "orders", "order_items", "reviews")  # the order references need


def write_csv(directory: Path, kind: str, *rows: str) -> Path:
    path = directory / f"{kind}.csv"
    path.write_text("\n".join([",".join(SPECS[kind].header), *rows]) + "\n", encoding="utf-8")
    return path


def import_shop() -> dict[str, ImportReport]:
    return {kind: import_csv_file(kind=kind, path=FIXTURES / f"{kind}.csv") for kind in SHOP_KINDS}


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    return report.created, report.updated, report.unchanged, report.rejected


def updated_stamps() -> dict[str, dict]:
    return {
        "members": dict(Member.objects.values_list("external_id", "updated_at")),
        "products": dict(Product.objects.values_list("sku", "updated_at")),
        "orders": dict(Order.objects.values_list("external_id", "updated_at")),
        "reviews": dict(Review.objects.values_list("external_id", "updated_at")),
    }


def test_import_kinds_are_the_five_csv_formats():
    assert set(IMPORT_KINDS) == {"members", "products", "orders", "order_items", "reviews"}


def test_a_good_shop_imports_every_row_with_typed_values():
    reports = import_shop()

    assert {kind: counts(r) for kind, r in reports.items()} == {
        "products": (3, 0, 0, 0),
        "members": (3, 0, 0, 0),
        "orders": (3, 0, 0, 0),
        "order_items": (4, 0, 0, 0),
        "reviews": (2, 0, 0, 0),
    }
    assert all(r.ok and r.errors == [] for r in reports.values())
    ana = Member.objects.get(external_id="M001")
    assert ana.joined_at == datetime(2023, 1, 15, 8, 30, tzinfo=UTC)
    assert (ana.tier.code, ana.birth_year, ana.gender, ana.marketing_consent) == ("silver", 1985, "f", True)
    ben = Member.objects.get(external_id="M002")
    assert ben.joined_at == datetime(2023, 2, 1, tzinfo=UTC)  # a date alone is midnight UTC
    assert (ben.tier.code, ben.birth_year, ben.status, ben.marketing_consent) == (
        "basic",
        None,
        "active",
        False,
    )
    assert Member.objects.get(external_id="M003").joined_at == datetime(2023, 3, 10, 18, tzinfo=UTC)
    scarf = Product.objects.get(sku="SKU-2")
    assert (scarf.price, scarf.currency, scarf.active) == (Decimal("25.00"), "GBP", True)
    assert Product.objects.get(sku="SKU-3").description == "A tote bag.\nHolds a laptop."
    order = Order.objects.get(external_id="O-3")
    assert (order.member.external_id, order.total, order.status) == ("M001", Decimal("15.00"), "returned")
    assert order.placed_at == datetime(2024, 6, 10, 6, 15, tzinfo=UTC)
    lines = OrderItem.objects.filter(order__external_id="O-1").order_by("line_number")
    assert [(i.line_number, i.product.sku, i.quantity, i.unit_price) for i in lines] == [
        (1, "SKU-1", 2, Decimal("49.90")),
        (2, "SKU-2", 1, Decimal("25.00")),
    ]
    r1, r2 = Review.objects.order_by("external_id")
    assert (r1.order.external_id, r1.rating, r1.sentiment, r1.topics) == ("O-1", 5, "", [])
    assert (r2.order, r2.language, r2.body) == (
        None,
        "en",
        "Warm but itchy.\nWould not buy again at this price.",
    )


def test_reimporting_the_same_files_changes_nothing_not_even_updated_at():
    import_shop()
    before = updated_stamps()
    item_rows = list(OrderItem.objects.order_by("pk").values())

    again = import_shop()

    assert {kind: counts(r) for kind, r in again.items()} == {
        "products": (0, 0, 3, 0),
        "members": (0, 0, 3, 0),
        "orders": (0, 0, 3, 0),
        "order_items": (0, 0, 4, 0),
        "reviews": (0, 0, 2, 0),
    }
    assert updated_stamps() == before
    assert list(OrderItem.objects.order_by("pk").values()) == item_rows


def test_changed_rows_are_updated_and_only_they_get_a_new_updated_at(tmp_path):
    member = MemberFactory(external_id="M1")
    first = write_csv(
        tmp_path,
        "orders",
        "O1,M1,2024-01-01,paid,web,GBP,10.00",
        "O2,M1,2024-01-02,paid,web,GBP,20.00",
    )
    import_csv_file(kind="orders", path=first)
    before = dict(Order.objects.values_list("external_id", "updated_at"))
    created_before = dict(Order.objects.values_list("external_id", "created_at"))

    second = write_csv(
        tmp_path,
        "orders",
        "O1,M1,2024-01-01,paid,web,GBP,10.00",
        "O2,M1,2024-01-02,returned,web,GBP,20.50",
        "O3,M1,2024-01-03,paid,web,GBP,5",
    )
    report = import_csv_file(kind="orders", path=second)

    assert counts(report) == (1, 1, 1, 0)
    o2 = Order.objects.get(external_id="O2")
    assert (o2.status, o2.total, o2.member_id) == ("returned", Decimal("20.50"), member.pk)
    after = dict(Order.objects.values_list("external_id", "updated_at"))
    assert after["O1"] == before["O1"]
    assert after["O2"] > before["O2"]
    assert Order.objects.get(external_id="O2").created_at == created_before["O2"]


def test_an_order_item_line_is_updated_in_place_by_order_and_line_number(tmp_path):
    OrderFactory(external_id="O1")
    write_csv(tmp_path, "products", "S1,Shirt,,,,10.00,GBP,", "S2,Scarf,,,,5.00,GBP,")
    import_csv_file(kind="products", path=tmp_path / "products.csv")
    import_csv_file(kind="order_items", path=write_csv(tmp_path, "order_items", "O1,1,S1,1,10.00"))

    report = import_csv_file(kind="order_items", path=write_csv(tmp_path, "order_items", "O1,1,S2,3,5.00"))

    assert counts(report) == (0, 1, 0, 0)
    (item,) = OrderItem.objects.all()
    assert (item.line_number, item.product.sku, item.quantity, item.unit_price) == (
        1,
        "S2",
        3,
        Decimal("5.00"),
    )


def test_a_new_member_without_tier_gets_the_lowest_rank_tier(tmp_path):
    # Re-rank so the lowest rung is not the first row: the importer must order by rank.
    Tier.objects.filter(code="basic").update(rank=9)
    path = write_csv(tmp_path, "members", "M1,,,2024-01-01,,,,,,,")

    import_csv_file(kind="members", path=path)

    assert Member.objects.get(external_id="M1").tier.code == "silver"


def test_a_blank_tier_keeps_an_existing_members_tier_and_a_code_changes_it(tmp_path):
    MemberFactory(external_id="M1", name="Old name", tier=tier("gold"))
    MemberFactory(external_id="M2", tier=tier("gold"))
    path = write_csv(tmp_path, "members", "M1,,New name,2024-01-01,,,,,,,", "M2,,,2024-01-01,,,,,,,platinum")

    report = import_csv_file(kind="members", path=path)

    assert counts(report) == (0, 2, 0, 0)
    m1, m2 = Member.objects.get(external_id="M1"), Member.objects.get(external_id="M2")
    assert (m1.name, m1.tier.code) == ("New name", "gold")
    assert m2.tier.code == "platinum"


def test_rows_spread_over_several_batches_are_all_imported_and_counted(tmp_path):
    MemberFactory(external_id="M1")
    rows = [f"O{n},M{1 if n != 4 else 9},2024-01-01,paid,web,GBP,{n}.00" for n in range(1, 8)]
    path = write_csv(tmp_path, "orders", *rows, "O2,M1,2024-01-01,paid,web,GBP,1.00")

    report = import_csv_file(kind="orders", path=path, batch_size=2)

    assert counts(report) == (6, 0, 0, 2)
    assert report.rows_total == 8
    assert report.errors == [
        RowError(5, "unknown member 'M9' in member_external_id"),
        RowError(9, "duplicate of line 3 (external_id 'O2'); a key may appear once per file"),
    ]
    assert Order.objects.get(external_id="O2").total == Decimal("2.00")  # the first occurrence won
    again = import_csv_file(kind="orders", path=path, batch_size=3)
    assert counts(again) == (0, 0, 6, 2)


def test_an_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown import kind 'customers'"):
        import_csv_file(kind="customers", path=write_csv(tmp_path, "members"))


def test_the_number_of_queries_does_not_grow_with_the_number_of_rows(tmp_path, django_assert_num_queries):
    MemberFactory(external_id="M1")
    small = write_csv(tmp_path, "orders", *[f"O{n},M1,2024-01-01,paid,web,GBP,1.00" for n in range(2)])
    large = tmp_path / "large.csv"
    large.write_text(
        small.read_text() + "".join(f"P{n},M1,2024-01-01,paid,web,GBP,1.00\n" for n in range(200))
    )

    # SAVEPOINT (the test's transaction makes the batch's atomic a savepoint), CREATE TEMP TABLE (raw
    # text), COPY, CREATE TEMP TABLE AS (checked and typed), SELECT rows the SQL checks refused,
    # SELECT keys, SELECT rows naming unknown members, the upsert, DROP TABLE, RELEASE SAVEPOINT.
    with django_assert_num_queries(10):
        import_csv_file(kind="orders", path=small)
    with django_assert_num_queries(10):
        report = import_csv_file(kind="orders", path=large)
    assert counts(report) == (200, 0, 2, 0)
