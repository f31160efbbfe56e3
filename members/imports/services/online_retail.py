"""Import the UCI Online Retail II transaction file (Chen, Sain & Guo 2012; CC BY 4.0).

The file has one row per invoice line: Invoice, StockCode, Description, Quantity, InvoiceDate,
Price, Customer ID, Country. `online_retail_convert` streams it (gzipped or plain CSV) once and
writes MemberHub's five import CSVs; `online_retail_import` then loads them through the CSV import
engine. The mapping:

- member `OR-<Customer ID>`: country = the country on most of the customer's lines, joined_at =
  first invoice; name and email stay blank because the data is anonymous.
- product = stock code (upper-cased: `85123a` and `85123A` are the same item), title = the most
  common non-blank description of that code, other descriptions listed in the description,
  price = the most common unit price, GBP.
- order `OR-<Invoice>`: invoices starting with "C" are cancellations; they become orders with
  status "returned" and positive quantities. Returned orders do not count as spend (see
  `members.core.models.order.REVENUE_STATUSES`). Every other invoice is "delivered".

Lines that cannot become an order line are skipped and counted; each is counted once, under the
first reason in `SKIP_REASONS` that applies.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from members.demo.services.demo_shop_csv import (
    IMPORT_ORDER,
    ImportCsvWriters,
    csv_timestamp,
    import_csv_files,
)

if TYPE_CHECKING:
    from members.imports.services.csv_import import ImportReport

SKIP_MALFORMED = "malformed line (bad number or date)"
SKIP_GUEST = "guest line (no Customer ID)"
SKIP_NON_PRODUCT = "non-product stock code (postage, fees, discounts, adjustments, vouchers, tests)"
SKIP_PRICE = "zero or negative price"
SKIP_QUANTITY = "quantity sign does not fit the invoice (sale below 1 or cancellation above -1)"
SKIP_DUPLICATE = "exact duplicate of an earlier line"
SKIP_REASONS = (SKIP_MALFORMED, SKIP_GUEST, SKIP_NON_PRODUCT, SKIP_PRICE, SKIP_QUANTITY, SKIP_DUPLICATE)

# Stock codes that are charges or bookkeeping, not goods (seen in the 2009-2011 files).
NON_PRODUCT_CODES = frozenset(
    {"POST", "DOT", "M", "C2", "C3", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "GIFT"}
)
NON_PRODUCT_PREFIXES = ("ADJUST", "TEST", "GIFT_")
# pandas wrote missing descriptions as "nan"; "?" is a warehouse note, not a name.
BLANK_DESCRIPTIONS = frozenset({"", "nan", "none", "?"})
EXPECTED_COLUMNS = ("Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country")
PENNY = Decimal("0.01")
ID_PREFIX = "OR-"


class OnlineRetailFormatError(ValueError):
    """The file is not an Online Retail II export (wrong or missing columns)."""


class RetailLine(NamedTuple):
    """One usable invoice line: quantity is positive, cancellations are flagged instead.
    (A NamedTuple: 400k of them are made per file, and a frozen dataclass is slower to build.)"""

    invoice: str
    sku: str
    description: str
    quantity: int
    invoiced_at: datetime
    unit_price: Decimal
    customer_id: str
    country: str

    @property
    def is_cancellation(self) -> bool:
        return self.invoice.startswith("C")


@dataclass
class OnlineRetailConversion:
    """What the converter read, kept and skipped, and where it wrote each kind's CSV."""

    rows_read: int = 0
    lines_kept: int = 0
    skipped: Counter = field(default_factory=Counter)
    returned_orders: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        lines = [f"read {self.rows_read} lines, kept {self.lines_kept}, skipped {sum(self.skipped.values())}"]
        lines += [f"  skipped {self.skipped[reason]}: {reason}" for reason in SKIP_REASONS if self.skipped[reason]]
        lines.append(
            "wrote " + ", ".join(f"{count} {kind}" for kind, count in self.counts.items())
            + f" ({self.returned_orders} orders are cancellations, status returned; they do not count as spend)"
        )
        return lines


@dataclass
class OnlineRetailImport:
    conversion: OnlineRetailConversion
    reports: dict[str, ImportReport]

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.reports.values())


def retail_rows_open(path: Path) -> Iterator[tuple[str, ...]]:
    """Yield each row as a tuple in EXPECTED_COLUMNS order (extra columns dropped, any column
    order accepted); a name ending in .gz is read through gzip."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        reader = csv.reader(text)
        header = [name.strip() for name in next(reader, [])]
        missing = [column for column in EXPECTED_COLUMNS if column not in header]
        if missing:
            raise OnlineRetailFormatError(f"{path}: missing column(s) {', '.join(missing)}")
        pick = itemgetter(*(header.index(column) for column in EXPECTED_COLUMNS))
        width = len(header)
        for row in reader:
            if row:
                yield pick(row) if len(row) >= width else pick(row + [""] * (width - len(row)))


def stock_code_is_product(code: str) -> bool:
    upper = code.upper()
    return upper not in NON_PRODUCT_CODES and not upper.startswith(NON_PRODUCT_PREFIXES)


@lru_cache(maxsize=1 << 16)
def _timestamp(text: str) -> datetime:
    # An invoice's lines share one timestamp, and prices repeat: caching both halves the parse.
    return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)


@lru_cache(maxsize=1 << 16)
def _price(text: str) -> Decimal:
    return Decimal(text.strip()).quantize(PENNY, rounding=ROUND_HALF_UP)


def retail_line_parse(row: tuple[str, ...]) -> tuple[RetailLine | None, str | None]:
    """Classify one raw row (EXPECTED_COLUMNS order): (line, None) when usable, else (None, skip
    reason). Stateless: duplicates are found by the caller."""
    invoice, sku, description, quantity_text, date_text, price_text, customer, country = row
    try:
        quantity = int(quantity_text)
        invoiced_at = _timestamp(date_text)
        unit_price = _price(price_text)
    except (ValueError, InvalidOperation):
        return None, SKIP_MALFORMED
    # Spreadsheet exports turn the integer id into a float.
    customer = customer.strip().removesuffix(".0")
    if not customer or customer.lower() == "nan":
        return None, SKIP_GUEST
    sku = sku.strip().upper()
    invoice = invoice.strip().upper()
    if not sku or not invoice:
        return None, SKIP_MALFORMED
    if not stock_code_is_product(sku):
        return None, SKIP_NON_PRODUCT
    # Prices below half a penny (free samples at 0.001) round to zero and are skipped with them.
    if unit_price <= 0:
        return None, SKIP_PRICE
    if (quantity < 0) != invoice.startswith("C") or quantity == 0:
        return None, SKIP_QUANTITY
    description = " ".join(description.split())
    if description.lower() in BLANK_DESCRIPTIONS:
        description = ""
    country = country.strip()
    return (
        RetailLine(
            invoice=invoice,
            sku=sku,
            description=description,
            quantity=abs(quantity),
            invoiced_at=invoiced_at,
            unit_price=unit_price,
            customer_id=customer,
            # "Unspecified" is the shop's missing-value marker, not a country.
            country="" if country.lower() == "unspecified" else country,
        ),
        None,
    )


def retail_lines_read(*, source: Path, skipped: Counter) -> Iterator[RetailLine]:
    """Stream the usable lines of `source`, counting skipped ones into `skipped` by reason.

    An exact duplicate (every column equal to an earlier row's) is a double entry, not a second
    purchase, and is skipped. Only hashes of kept rows are held, so memory stays ~16 MB for the
    full 525k-line year; a 64-bit collision among ~400k rows is vanishingly unlikely.
    """
    seen: set[int] = set()
    for row in retail_rows_open(source):
        line, reason = retail_line_parse(row)
        if line is None:
            skipped[reason] += 1
            continue
        key = hash(row)
        if key in seen:
            skipped[SKIP_DUPLICATE] += 1
            continue
        seen.add(key)
        yield line


def online_retail_convert(*, source: Path, out_dir: Path) -> OnlineRetailConversion:
    """Stream `source` once and write products, members, orders and order_items CSVs to `out_dir`.

    Order lines are written as they are read; the per-invoice, per-customer and per-code
    aggregates (a few thousand of each) are written at the end.
    """
    result = OnlineRetailConversion()
    invoices: dict[str, dict] = {}
    customers: dict[str, dict] = {}
    products: dict[str, dict] = {}
    with ImportCsvWriters(directory=out_dir, kinds=IMPORT_ORDER[:4]) as writers:
        for line in retail_lines_read(source=source, skipped=result.skipped):
            result.lines_kept += 1
            invoice = invoices.get(line.invoice)
            if invoice is None:
                invoice = invoices[line.invoice] = {
                    "customer": line.customer_id, "placed_at": line.invoiced_at, "total": Decimal(0), "lines": 0,
                }
            invoice["lines"] += 1
            invoice["total"] += line.quantity * line.unit_price
            invoice["placed_at"] = min(invoice["placed_at"], line.invoiced_at)
            writers.write(
                "order_items",
                (ID_PREFIX + line.invoice, invoice["lines"], line.sku, line.quantity, line.unit_price),
            )
            customer = customers.setdefault(line.customer_id, {"first": line.invoiced_at, "countries": Counter()})
            customer["first"] = min(customer["first"], line.invoiced_at)
            customer["countries"][line.country] += 1
            product = products.setdefault(line.sku, {"descriptions": Counter(), "prices": Counter()})
            if line.description:
                product["descriptions"][line.description] += 1
            product["prices"][line.unit_price] += 1
        result.rows_read = result.lines_kept + sum(result.skipped.values())

        for sku, product in products.items():
            # most_common keeps first-seen order among ties, so the choice is deterministic.
            names = [name for name, _ in product["descriptions"].most_common()]
            title = names[0][:300] if names else sku
            description = ("Also sold as: " + "; ".join(names[1:6])) if len(names) > 1 else ""
            price = product["prices"].most_common(1)[0][0]
            writers.write("products", (sku, title, description, "", "", price, "GBP", "true"))
        for customer_id, customer in customers.items():
            country = customer["countries"].most_common(1)[0][0]
            writers.write(
                "members",
                (ID_PREFIX + customer_id, "", "", csv_timestamp(customer["first"]), country, "", "", "", "active",
                 "false", ""),
            )
        for number, invoice in invoices.items():
            status = "returned" if number.startswith("C") else "delivered"
            result.returned_orders += status == "returned"
            writers.write(
                "orders",
                (ID_PREFIX + number, ID_PREFIX + invoice["customer"], csv_timestamp(invoice["placed_at"]), status,
                 "web", "GBP", invoice["total"].quantize(PENNY)),
            )
    result.counts = dict(writers.counts)
    result.paths = dict(writers.paths)
    return result


def online_retail_import(*, source: Path, work_dir: Path) -> OnlineRetailImport:
    """Convert `source` into CSVs under `work_dir` and import them; idempotent like the engine."""
    conversion = online_retail_convert(source=source, out_dir=work_dir)
    return OnlineRetailImport(conversion=conversion, reports=import_csv_files(paths=conversion.paths))
