"""import_csv_file with bad input: each bad row is reported by line and reason; every good row is kept."""

from pathlib import Path

import pytest

from members.imports.services.csv_import import ImportFileError, RowError, import_csv_file
from members.imports.services.csv_import_specs import SPECS
from members.models import Member, Order, OrderItem, Review
from tests.factories import MemberFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "orders": ("O5,M1,2024-01-01,paid,web,GBP,10.00", "O6,M1,2024-01-02,paid,web,GBP,20.00"),
    "order_items": ("O1,1,S1,1,10.00", "O1,2,S1,2,10.00"),
    "reviews": ("R1,M1,S1,,5,Good,Nice.,en,2024-01-01", "R2,M1,S1,O1,4,Fine,Okay.,en,2024-01-02"),
    "members": ("M7,a@example.com,Ann,2024-01-01,,,,,,,", "M8,,Bob,2024-01-01,,,,,,,"),
}
KEYS = {
    "orders": lambda: set(Order.objects.exclude(external_id="O1").values_list("external_id", flat=True)),
    "order_items": lambda: set(OrderItem.objects.values_list("line_number", flat=True)),
    "reviews": lambda: set(Review.objects.values_list("external_id", flat=True)),
    "members": lambda: set(Member.objects.exclude(external_id="M1").values_list("external_id", flat=True)),
}
KEPT = {"orders": {"O5", "O6"}, "order_items": {1, 2}, "reviews": {"R1", "R2"}, "members": {"M7", "M8"}}


@pytest.fixture
def shop(db):
    """Member M1, product S1 and order O1 (belonging to M1), for rows to refer to."""
    member = MemberFactory(external_id="M1")
    ProductFactory(sku="S1")
    OrderFactory(external_id="O1", member=member)


def write_bytes(directory: Path, kind: str, bad: bytes) -> Path:
    """A file of `kind`: header (line 1), a good row (2), `bad` (3), another good row (4)."""
    first, second = GOOD[kind]
    path = directory / f"{kind}.csv"
    header = ",".join(SPECS[kind].header).encode()
    path.write_bytes(b"\n".join([header, first.encode(), bad, second.encode()]) + b"\n")
    return path


BAD_ROWS = [
    ("orders", b"O3,M1,2024-01-01,paid,web,GBP", "6 fields where the header has 7"),
    ("orders", b"O3,M1,2024-01-01,paid,web,GBP,1.00,extra", "8 fields where the header has 7"),
    ("orders", b"O3,M404,2024-01-01,paid,web,GBP,1.00", "unknown member 'M404' in member_external_id"),
    ("order_items", b"O1,3,NOPE,1,1.00", "unknown product 'NOPE' in sku"),
    ("order_items", b"O404,1,S1,1,1.00", "unknown order 'O404' in order_external_id"),
    ("reviews", b"R3,M1,S1,O404,5,,,en,2024-01-01", "unknown order 'O404' in order_external_id"),
    ("reviews", b"R3,M1,S404,,5,,,en,2024-01-01", "unknown product 'S404' in product_sku"),
    ("reviews", b"R3,M1,S1,,7,,,en,2024-01-01", "rating 7 is not between 1 and 5"),
    ("reviews", b"R3,M1,S1,,five,,,en,2024-01-01", "rating 'five' is not a whole number"),
    (
        "orders",
        b"O3,M1,31/12/2024,paid,web,GBP,1.00",
        "placed_at '31/12/2024' is not an ISO 8601 date or timestamp",
    ),
    (
        "orders",
        b"O3,M1,2024-02-30,paid,web,GBP,1.00",
        "placed_at '2024-02-30' is not an ISO 8601 date or timestamp",
    ),
    ("orders", b'O3,M1,2024-01-01,paid,web,GBP,"12,50"', "total '12,50' is not a decimal number"),
    ("orders", b"O3,M1,2024-01-01,paid,web,GBP,1.005", "total 1.005 has more than 2 decimal places"),
    ("orders", b"O3,M1,2024-01-01,paid,web,GBP,-4.00", "total -4.00 is negative"),
    ("orders", b"O3,M1,2024-01-01,paid,web,GBP,", "total is required"),
    (
        "orders",
        b"O3,M1,2024-01-01,lost,web,GBP,1.00",
        "status 'lost' is not one of placed, paid, shipped, delivered, returned, cancelled",
    ),
    ("order_items", b"O1,3,S1,-2,1.00", "quantity -2 is less than 1"),
    ("order_items", b"O1,3,S1,0,1.00", "quantity 0 is less than 1"),
    ("orders", b"O3,M1,2024-01-01,paid,web,GBP,1.00\xff\xfe", "not valid UTF-8 (byte 0xff at position 35)"),
    ("orders", b"O3,M1,2024-01-01,paid,web\x00,GBP,1.00", "contains a NUL byte"),
    (
        "orders",
        b"O5,M1,2024-01-05,paid,web,GBP,99.00",
        "duplicate of line 2 (external_id 'O5'); a key may appear once per file",
    ),
    (
        "order_items",
        b"O1,1,S1,5,1.00",
        "duplicate of line 2 (order_external_id 'O1', line_number 1); a key may appear once per file",
    ),
    (
        "orders",
        b"O3,M1,2024-01-01,paid," + b"w" * 33 + b",GBP,1.00",
        "channel is 33 characters long; the limit is 32",
    ),
    (
        "orders",
        b"O3,M1,2024-01-01,paid,web,POUND,1.00",
        "currency 'POUND' is not a three-letter currency code",
    ),
    ("members", b"M9,not-an-email,,2024-01-01,,,,,,,", "email 'not-an-email' is not an email address"),
    ("members", b"M9,,,2024-01-01,,,1850,,,,", "birth_year 1850 is not between 1900 and 2100"),
    ("members", b"M9,,,2024-01-01,,,,,,maybe,", "marketing_consent 'maybe' is not true, false, 1 or 0"),
    ("members", b"M9,,,2024-01-01,,,,,,,diamond", "unknown tier 'diamond' in tier"),
    ("members", b",,,2024-01-01,,,,,,,", "external_id is required"),
    ("members", b"M9,,,,,,,q,,,", "joined_at is required; gender 'q' is not one of blank, f, m, x"),
]


# Ids name the kind too: the same reason can come from two kinds (an unknown order in items and reviews).
@pytest.mark.parametrize(
    ("kind", "bad", "reason"), BAD_ROWS, ids=[f"{kind}: {reason[:40]}" for kind, _, reason in BAD_ROWS]
)
def test_a_bad_row_is_reported_by_line_and_reason_and_the_good_rows_are_kept(
    shop, tmp_path, kind, bad, reason
):
    report = import_csv_file(kind=kind, path=write_bytes(tmp_path, kind, bad))

    assert report.errors == [RowError(3, reason)]
    assert (report.rows_total, report.created, report.rejected, report.ok) == (3, 2, 1, False)
    assert KEYS[kind]() == KEPT[kind]


def test_line_numbers_are_physical_lines_when_a_quoted_field_spans_several(shop, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(
        ",".join(SPECS["reviews"].header) + "\n"
        'R1,M1,S1,,5,Good,"Line one\nline two\nline three",en,2024-01-01\n'
        "R2,M1,S1,,9,Bad,Rating.,en,2024-01-01\n"
        "\n"
        "R3,M1,S1,,4,Fine,Okay.,en,2024-01-01\n"
        "R4,M9,S1,,4,Who,Unknown.,en,2024-01-01\n",
        encoding="utf-8",
    )

    report = import_csv_file(kind="reviews", path=path)

    assert report.errors == [
        RowError(5, "rating 9 is not between 1 and 5"),
        RowError(8, "unknown member 'M9' in member_external_id"),
    ]
    assert Review.objects.get(external_id="R1").body == "Line one\nline two\nline three"
    assert set(Review.objects.values_list("external_id", flat=True)) == {"R1", "R3"}


def test_a_header_lacking_columns_rejects_the_whole_file_naming_them(shop, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("external_id,member_external_id,placed_at,channel\nO9,M1,2024-01-01,web\n")

    with pytest.raises(ImportFileError, match=r"lacks 3 column\(s\): status, currency, total\."):
        import_csv_file(kind="orders", path=path)
    assert not Order.objects.filter(external_id="O9").exists()


def test_columns_may_come_in_any_order_and_extra_columns_are_ignored(shop, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "\ufefftotal,note,currency,channel,status,placed_at,member_external_id,external_id\n"
        "7.50,gift,GBP,web,paid,2024-01-01,M1,O9\n",
        encoding="utf-8",
    )

    report = import_csv_file(kind="orders", path=path)

    assert report.ok and report.created == 1
    assert str(Order.objects.get(external_id="O9").total) == "7.50"


def test_an_empty_file_is_rejected_as_a_whole(tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(b"")

    with pytest.raises(ImportFileError, match="is empty"):
        import_csv_file(kind="members", path=path)
