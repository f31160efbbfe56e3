"""manage.py import_online_retail: the crafted slice, bad input, and the real 2009-2010 file."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from members.models import Member, Order, OrderItem, Product

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[3]
MESS = REPO / "tests" / "data" / "online_retail" / "mess.csv"
REAL_FILE = Path("online_retail_ii_2009_2010") / "online_retail_II_2009-2010.csv.gz"
DATASET_DIRS = (Path("/work/shared/datasets"), REPO.parent / "shared" / "datasets")


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_online_retail", *args, stdout=out)
    return out.getvalue()


def test_the_summary_names_each_skip_reason_with_its_count():
    output = run(str(MESS))

    assert "read 26 lines, kept 9, skipped 17" in output
    assert "skipped 2: guest line (no Customer ID)" in output
    assert "skipped 8: non-product stock code" in output
    assert "skipped 1: exact duplicate of an earlier line" in output
    assert "1 orders are cancellations, status returned; they do not count as spend" in output
    assert "order_items: 9 rows, 9 created, 0 updated, 0 unchanged, 0 rejected" in output


def test_keep_csv_leaves_the_converted_files_for_inspection(tmp_path):
    run(str(MESS), "--keep-csv", str(tmp_path))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["members.csv", "order_items.csv", "orders.csv", "products.csv"]


def test_a_missing_file_is_an_error_that_names_it(tmp_path):
    with pytest.raises(CommandError, match="nope.csv: no such file"):
        run(str(tmp_path / "nope.csv"))


def test_a_file_with_other_columns_imports_nothing(tmp_path):
    other = tmp_path / "members.csv"
    other.write_text("external_id,email\nM1,a@example.com\n", encoding="utf-8")

    with pytest.raises(CommandError, match="missing column"):
        run(str(other))
    assert Member.objects.count() == 0


@pytest.mark.slow
def test_the_real_online_retail_year_imports_with_its_known_counts():
    source = next((d / REAL_FILE for d in DATASET_DIRS if (d / REAL_FILE).is_file()), None)
    if source is None:
        pytest.skip(f"the UCI Online Retail II file is not here ({REAL_FILE} under /work/shared or ../shared)")

    output = run(str(source))

    assert "read 525461 lines, kept 408927, skipped 116534" in output
    assert "skipped 107927: guest line (no Customer ID)" in output
    assert (Member.objects.count(), Product.objects.count()) == (4314, 4022)
    assert (Order.objects.count(), Order.objects.filter(status="returned").count()) == (22987, 4021)
    assert OrderItem.objects.count() == 408927
