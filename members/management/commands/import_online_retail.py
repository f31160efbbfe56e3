"""manage.py import_online_retail FILE: load the UCI Online Retail II file (.csv.gz or .csv).

Converts the transactions into members, products, orders and order items (mapping and skip rules
in members/imports/services/online_retail.py), imports them through the CSV import engine, and prints
what was skipped and why. Exits with status 1 when the engine rejected any converted row.
"""

import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from members.demo.services.demo_shop_csv import import_reports_summary
from members.imports.services.online_retail import OnlineRetailFormatError, online_retail_import


class Command(BaseCommand):
    help = (
        "Import the UCI Online Retail II transactions (CSV, optionally gzipped). Cancellations become returned "
        "orders (not counted as spend); guest lines, charges, zero prices and duplicate lines are skipped and "
        "counted. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="online_retail_II_*.csv.gz or a plain .csv export.")
        parser.add_argument(
            "--keep-csv", type=Path, metavar="DIR", help="Write the converted CSVs here and keep them."
        )

    def handle(self, *, file: Path, keep_csv: Path | None, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file.")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="online-retail-") as scratch:
            try:
                result = online_retail_import(source=file, work_dir=keep_csv or Path(scratch))
            except OnlineRetailFormatError as exc:
                raise CommandError(f"{exc}. Nothing was imported.") from exc
            except (OSError, EOFError, UnicodeDecodeError) as exc:
                raise CommandError(f"{file}: cannot be read ({exc}).") from exc
        for line in result.conversion.summary_lines():
            self.stdout.write(line)
        for line in import_reports_summary(result.reports):
            self.stdout.write(line)
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")
        if not result.ok:
            raise CommandError("the import engine rejected converted rows (listed above).")
