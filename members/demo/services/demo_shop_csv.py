"""Writing the five import CSVs and importing them in dependency order.

Shared by the demo shop (demo_shop.py, demo_shop_synthetic.py) and the Online Retail converter
(online_retail.py): each of them streams rows into `ImportCsvWriters` and then hands the files to
`import_csv_files`, so every path into the database goes through the one CSV import engine
(`members.imports.services.csv_import.import_csv_file`, COPY-based) rather than its own inserts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.progress import Progress

if TYPE_CHECKING:
    from members.imports.services.csv_import import ImportReport

# The CSV contract (column names and order) agreed with the import engine.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "products": ("sku", "title", "description", "category", "brand", "price", "currency", "active"),
    "members": (
        "external_id", "email", "name", "joined_at", "country", "city", "birth_year", "gender", "status",
        "marketing_consent", "tier",
    ),
    "orders": ("external_id", "member_external_id", "placed_at", "status", "channel", "currency", "total"),
    "order_items": ("order_external_id", "line_number", "sku", "quantity", "unit_price"),
    "reviews": (
        "external_id", "member_external_id", "product_sku", "order_external_id", "rating", "title", "body",
        "language", "created_at",
    ),
}

# Parents before children: an order needs its member, an order line its order and product.
IMPORT_ORDER: tuple[str, ...] = ("products", "members", "orders", "order_items", "reviews")


def csv_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with an explicit offset, so no reader has to guess the zone."""
    return value.astimezone(UTC).isoformat() if value.tzinfo else value.replace(tzinfo=UTC).isoformat()


class ImportCsvWriters(AbstractContextManager["ImportCsvWriters"]):
    """Open one CSV per kind under `directory` (header written) and stream rows into them.

    Rows are tuples in `CSV_COLUMNS[kind]` order. Use as a context manager; the files are closed
    (and complete) on exit. `counts[kind]` is the number of data rows written.
    """

    def __init__(self, *, directory: Path, kinds: Iterable[str] = IMPORT_ORDER) -> None:
        self.directory = directory
        self.paths: dict[str, Path] = {}
        self.counts: dict[str, int] = {}
        self._files: dict[str, Any] = {}
        self._writers: dict[str, Any] = {}
        directory.mkdir(parents=True, exist_ok=True)
        for kind in kinds:
            path = directory / f"{kind}.csv"
            handle = path.open("w", newline="", encoding="utf-8")
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS[kind])
            self.paths[kind], self._files[kind], self._writers[kind], self.counts[kind] = path, handle, writer, 0

    def write(self, kind: str, row: tuple) -> None:
        self._writers[kind].writerow(row)
        self.counts[kind] += 1

    def write_many(self, kind: str, rows: Iterable[tuple]) -> None:
        for row in rows:
            self._writers[kind].writerow(row)
            self.counts[kind] += 1

    def __exit__(self, *exc_info: object) -> None:
        for handle in self._files.values():
            handle.close()


def import_csv_files(*, paths: dict[str, Path], progress: Progress | None = None) -> dict[str, ImportReport]:
    """Import each kind's CSV through `import_csv_file`, parents first; returns the reports by kind.
    ``progress`` (ml.progress) prints each kind's start and finish with rows and elapsed time.

    Stops at the first kind whose report has rejected rows: its children would only be rejected
    in turn for the missing parents, which hides the real error.
    """
    from members.imports.services.csv_import import csv_data_rows_count, import_csv_file

    progress = progress or Progress.quiet()
    reports: dict[str, ImportReport] = {}
    for kind in IMPORT_ORDER:
        if kind not in paths:
            continue
        with progress.step(f"import {kind}", total=csv_data_rows_count(path=paths[kind])) as step:
            reports[kind] = import_csv_file(kind=kind, path=paths[kind], on_rows=step.advance)
            step.summary = import_reports_summary({kind: reports[kind]})[0].split(": ", 1)[1]
        if not reports[kind].ok:
            break
    return reports


def import_reports_summary(reports: dict[str, ImportReport]) -> list[str]:
    """One human line per kind: rows, created, updated, unchanged, rejected (+ the first errors)."""
    lines = []
    for kind, report in reports.items():
        lines.append(
            f"{kind}: {report.rows_total} rows, {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected} rejected"
        )
        for error in report.errors[:5]:
            lines.append(f"  line {error.line}: {error.reason}")
    return lines
