"""manage.py import_csv: summary, rejected lines, exit status."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from members.models import Review

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "csv"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def import_shop() -> None:
    for kind in ("products", "members", "orders"):
        run(kind, str(FIXTURES / f"{kind}.csv"))


def test_a_good_file_prints_the_summary_and_succeeds():
    out, err = run("products", str(FIXTURES / "products.csv"))

    started, finished, summary = out.splitlines()
    # A start and a finish line with the rows read and the real elapsed time, then the summary.
    assert re.search(r"import products from .*products\.csv: started \(\d rows\)$", started)  # lines: an upper bound
    assert re.search(r"products\.csv: done in \d+\.\d s \(3 rows\)$", finished)
    assert summary == f"products from {FIXTURES / 'products.csv'}: 3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected"
    assert err == ""


def test_a_second_run_reports_every_row_unchanged():
    run("products", str(FIXTURES / "products.csv"))

    out, _ = run("products", str(FIXTURES / "products.csv"))

    assert "3 rows: 0 created, 0 updated, 3 unchanged, 0 rejected" in out


def test_rejected_rows_are_listed_by_line_and_the_command_exits_with_status_1():
    import_shop()
    out, err = StringIO(), StringIO()
    path = FIXTURES / "reviews_with_errors.csv"

    with pytest.raises(CommandError) as raised:
        call_command("import_csv", "reviews", str(path), stdout=out, stderr=err)

    assert raised.value.returncode == 1
    assert str(raised.value).startswith(f"{path}: 3 of 6 rows were rejected (listed above)")
    assert "6 rows: 3 created, 0 updated, 0 unchanged, 3 rejected" in out.getvalue()
    assert err.getvalue().splitlines() == [
        "line 3: rating 7 is not between 1 and 5",
        "line 4: unknown member 'M404' in member_external_id",
        "line 7: created_at '12/05/2024' is not an ISO 8601 date or timestamp",
    ]
    assert set(Review.objects.values_list("external_id", flat=True)) == {"R-10", "R-13", "R-15"}


def test_a_file_lacking_columns_fails_naming_them_and_imports_nothing(tmp_path):
    path = tmp_path / "products.csv"
    path.write_text("sku,title,price\nS1,Shirt,10.00\n")

    with pytest.raises(
        CommandError, match=r"lacks 5 column\(s\): description, category, brand, currency, active"
    ):
        run("products", str(path))


def test_a_missing_file_fails_with_a_readable_error(tmp_path):
    with pytest.raises(CommandError, match=r"nope\.csv: cannot be read \(No such file or directory\)"):
        run("orders", str(tmp_path / "nope.csv"))


def test_an_unknown_kind_is_refused_by_the_argument_parser():
    with pytest.raises(CommandError, match="invalid choice: 'customers'"):
        run("customers", str(FIXTURES / "members.csv"))
