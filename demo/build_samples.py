"""Rebuild the demo shop's shipped samples (demo/data/) from the original public files.

    .venv/bin/python demo/build_samples.py [--datasets /work/shared/datasets]

Writes, byte-for-byte reproducibly (gzip with a fixed timestamp):
- demo/data/womens_clothing_reviews.csv.gz: the Kaggle women's clothing reviews file, every row
  and column unchanged (CC0).
- demo/data/online_retail_invoices.csv.gz: a per-invoice summary of UCI Online Retail II
  (CC BY 4.0): customer, invoice, date, country, stock code, quantity, for every customer's
  invoices, after the same cleaning as `manage.py import_online_retail` (guest lines, charges,
  zero prices and duplicate lines dropped). Each invoice keeps its first k distinct stock codes,
  k = 1 + floor(log2(lines) / 2): a wholesale gift-ware invoice of 11 lines becomes a fashion
  order of 2, one of 270 lines an order of 5. `invoice_lines` keeps the original line count.
See demo/ATTRIBUTION.md for the sources and licences.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import math
import shutil
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from members.imports.services.online_retail import retail_lines_read

DATA_DIR = REPO / "demo" / "data"
REVIEWS_SOURCE = Path("womens_clothing_reviews/womens_clothing_reviews.csv")
RETAIL_SOURCE = Path("online_retail_ii_2009_2010/online_retail_II_2009-2010.csv.gz")
REVIEWS_SAMPLE = "womens_clothing_reviews.csv.gz"
RETAIL_SAMPLE = "online_retail_invoices.csv.gz"
RETAIL_COLUMNS = ("customer_id", "invoice", "invoiced_at", "country", "stock_code", "quantity", "invoice_lines")


def lines_kept_for(invoice_lines: int) -> int:
    """Fashion baskets are small: compress the line count logarithmically (1 -> 1, 11 -> 2, 270 -> 5)."""
    return 1 + int(math.log2(invoice_lines) / 2)


def gzip_writer(path: Path):
    # mtime=0 and no file name in the header: rebuilding gives identical bytes.
    raw = open(path, "wb")  # noqa: SIM115 - closed through the gzip and text wrappers
    return io.TextIOWrapper(gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9),
                            encoding="utf-8", newline=""), raw


def reviews_sample_build(*, source: Path, target: Path) -> int:
    text, raw = gzip_writer(target)
    with source.open("r", encoding="utf-8", newline="") as handle, text:
        shutil.copyfileobj(handle, text)
    raw.close()
    with gzip.open(target, "rt", encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def retail_sample_build(*, source: Path, target: Path) -> tuple[int, int, int, Counter]:
    """Returns (customers, invoices, rows written, skipped lines by reason)."""
    skipped: Counter = Counter()
    invoices: dict[str, list] = {}
    for line in retail_lines_read(source=source, skipped=skipped):
        invoices.setdefault(line.invoice, []).append(line)
    text, raw = gzip_writer(target)
    rows = 0
    customers = set()
    with text:
        writer = csv.writer(text)
        writer.writerow(RETAIL_COLUMNS)
        for number, lines in invoices.items():
            codes: dict[str, int] = {}
            for line in lines:
                codes[line.sku] = codes.get(line.sku, 0) + line.quantity
            first = lines[0]
            placed_at = min(line.invoiced_at for line in lines).strftime("%Y-%m-%d %H:%M")
            customers.add(first.customer_id)
            for sku, quantity in list(codes.items())[: lines_kept_for(len(lines))]:
                writer.writerow((first.customer_id, number, placed_at, first.country, sku, quantity, len(lines)))
                rows += 1
    raw.close()
    return len(customers), len(invoices), rows, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    reviews = reviews_sample_build(source=args.datasets / REVIEWS_SOURCE, target=args.out / REVIEWS_SAMPLE)
    print(f"{REVIEWS_SAMPLE}: {reviews} reviews")
    customers, invoices, rows, skipped = retail_sample_build(
        source=args.datasets / RETAIL_SOURCE, target=args.out / RETAIL_SAMPLE
    )
    print(f"{RETAIL_SAMPLE}: {customers} customers, {invoices} invoices, {rows} lines")
    for reason, count in skipped.most_common():
        print(f"  dropped {count}: {reason}")
    for name in (REVIEWS_SAMPLE, RETAIL_SAMPLE):
        print(f"  {name}: {(args.out / name).stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
