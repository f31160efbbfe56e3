"""The demo shop: a women's clothing retailer rebuilt from real public data, loaded idempotently.

    result = demo_shop_load(seed=7)

Where each part comes from (sources and licences: demo/ATTRIBUTION.md):
- products: the clothing items of the women's clothing reviews (demo_shop_data.demo_catalog_build).
- members and orders: the Online Retail II customers replayed (demo/data/online_retail_invoices):
  each customer is a member `DEMO-<customer id>` with a generated person (demo_shop_people), each
  invoice an order `DEMO-<invoice>`, shifted by whole days so the newest lands DAYS_BEFORE_ANCHOR
  before the anchor date (today by default). Stock codes map onto clothing by popularity rank;
  quantities band into 1-3; cancellation invoices become returned orders.
- reviews: every clothing review, attached to a member who bought the item in a delivered order
  (a line is added to one of a member's delivered orders when the item has more reviews than
  buyers), dated a few days after that order.

Everything is a pure function of (seed, anchor date, limit), written as the five import CSVs and
loaded through `import_csv_file`: loading twice on the same day changes nothing. On a later day
the dates move forward with it (the dashboards' "last 30 days" stay full) and rows are updated.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from members.demo.services.demo_shop_csv import ImportCsvWriters, csv_timestamp, import_csv_files
from members.demo.services.demo_shop_data import (
    ClothingReview,
    DemoProduct,
    RetailSampleLine,
    clothing_reviews_read,
    demo_catalog_build,
    retail_sample_read,
)
from members.demo.services.demo_shop_people import demo_person_make
from ml.progress import Progress

if TYPE_CHECKING:
    from members.imports.services.csv_import import ImportReport

DEMO_PREFIX = "DEMO-"
DAYS_BEFORE_ANCHOR = 2
# Order age (days before the anchor) below which an order is still "paid", then "shipped".
PAID_UNTIL_DAYS, SHIPPED_UNTIL_DAYS = 4, 9
APP_CHANNEL_SHARE = 0.3
MARKETING_CONSENT_SHARE = 0.62
REVIEW_DELAY_DAYS = (3, 21)
# A wholesale customer with 200 invoices would otherwise "write" a hundred reviews.
MAX_REVIEWS_PER_MEMBER = 30


@dataclass
class DemoOrder:
    external_id: str
    member_id: str
    placed_at: datetime
    status: str
    channel: str
    lines: dict[str, int] = field(default_factory=dict)  # sku -> quantity, in line order


@dataclass
class DemoShopLoad:
    counts: dict[str, int]
    reports: dict[str, ImportReport]
    reviews_on_added_lines: int

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.reports.values())


def quantity_band(wholesale_quantity: int) -> int:
    """Gift-ware is bought by the dozen, clothing one at a time: 1-11 -> 1, 12-47 -> 2, 48+ -> 3."""
    return 1 if wholesale_quantity < 12 else 2 if wholesale_quantity < 48 else 3


def stock_code_products(lines: Sequence[RetailSampleLine], catalog: Sequence[DemoProduct]) -> dict[str, DemoProduct]:
    """Map each stock code onto a clothing item, popularity rank to popularity rank, by quantile.

    Codes are ranked by how many lines name them (ties by code), items by review count (the
    catalogue's order). A code whose lines sit at quantile q of all lines maps to the item whose
    reviews sit at quantile q of all reviews, so an item with 4 % of the reviews gets about 4 %
    of the sales: enough buyers to attach its reviews to.
    """
    popularity = Counter(line.stock_code for line in lines)
    ranked = sorted(popularity, key=lambda code: (-popularity[code], code))
    review_total = sum(product.review_count for product in catalog)
    line_total = sum(popularity.values())
    mapping, item, item_ceiling, lines_before = {}, 0, catalog[0].review_count / review_total, 0
    for code in ranked:
        midpoint = (lines_before + popularity[code] / 2) / line_total
        while midpoint > item_ceiling and item < len(catalog) - 1:
            item += 1
            item_ceiling += catalog[item].review_count / review_total
        mapping[code] = catalog[item]
        lines_before += popularity[code]
    return mapping


def order_status(*, placed_at: datetime, anchor: datetime, cancellation: bool) -> str:
    if cancellation:
        return "returned"
    age = anchor - placed_at
    if age < timedelta(days=PAID_UNTIL_DAYS):
        return "paid"
    return "shipped" if age < timedelta(days=SHIPPED_UNTIL_DAYS) else "delivered"


def demo_orders_build(
    *, lines: Sequence[RetailSampleLine], products: dict[str, DemoProduct], shift: timedelta, anchor: datetime, seed: int,
    prefix: str = DEMO_PREFIX,
) -> dict[str, DemoOrder]:
    """One order per invoice, ids `<prefix><invoice>` for a member `<prefix><customer id>` (the
    Chinese shop passes its own prefix, so both shops can live in one database)."""
    orders: dict[str, DemoOrder] = {}
    for line in lines:
        order = orders.get(line.invoice)
        if order is None:
            placed_at = line.invoiced_at + shift
            rng = random.Random(f"{seed}:order:{line.invoice}")
            order = orders[line.invoice] = DemoOrder(
                external_id=prefix + line.invoice,
                member_id=prefix + line.customer_id,
                placed_at=placed_at,
                status=order_status(placed_at=placed_at, anchor=anchor, cancellation=line.is_cancellation),
                channel="app" if rng.random() < APP_CHANNEL_SHARE else "web",
            )
        sku = products[line.stock_code].sku
        # Two stock codes can land on one clothing item: one line, quantity still at most 3.
        order.lines[sku] = min(3, order.lines.get(sku, 0) + quantity_band(line.quantity))
    return orders


class ReviewPlacer:
    """Attaches reviews to buyers: each item's buyers in a seeded order, one review per member and
    item. Only delivered orders qualify (a review follows delivery)."""

    def __init__(self, *, orders: dict[str, DemoOrder], member_ids: list[str], anchor: datetime, seed: int):
        self.anchor, self.seed, self.member_ids = anchor, seed, member_ids
        self.buyers: dict[str, list[DemoOrder]] = {}
        self.delivered_by_member: dict[str, list[DemoOrder]] = {}
        for order in orders.values():
            if order.status != "delivered":
                continue
            self.delivered_by_member.setdefault(order.member_id, []).append(order)
            for sku in order.lines:
                self.buyers.setdefault(sku, []).append(order)
        for sku, purchases in self.buyers.items():
            random.Random(f"{seed}:buyers:{sku}").shuffle(purchases)
        self.cursor: Counter = Counter()
        self.reviewed: set[tuple[str, str]] = set()
        self.reviews_by_member: Counter = Counter()
        self.added_lines = 0
        self.rng = random.Random(f"{seed}:reviews")

    def _may_review(self, member_id: str, sku: str) -> bool:
        return (member_id, sku) not in self.reviewed and self.reviews_by_member[member_id] < MAX_REVIEWS_PER_MEMBER

    def _claim(self, order: DemoOrder, sku: str) -> DemoOrder:
        self.reviewed.add((order.member_id, sku))
        self.reviews_by_member[order.member_id] += 1
        return order

    def place(self, sku: str) -> DemoOrder | None:
        """The order a review of `sku` belongs to; adds the item to a member's order if needed.
        None when no member may review it (all have, or are at MAX_REVIEWS_PER_MEMBER)."""
        purchases = self.buyers.get(sku, [])
        while self.cursor[sku] < len(purchases):
            order = purchases[self.cursor[sku]]
            self.cursor[sku] += 1
            if self._may_review(order.member_id, sku):
                return self._claim(order, sku)
        # More reviews than buyers: a member with delivered orders who has not reviewed it buys it too.
        for _ in range(len(self.member_ids)):
            member_id = self.member_ids[self.rng.randrange(len(self.member_ids))]
            delivered = self.delivered_by_member.get(member_id)
            if delivered and self._may_review(member_id, sku):
                order = delivered[self.rng.randrange(len(delivered))]
                if sku not in order.lines:
                    order.lines[sku] = 1
                    self.added_lines += 1
                return self._claim(order, sku)
        return None

    def review_time(self, order: DemoOrder, row_id: int) -> datetime:
        rng = random.Random(f"{self.seed}:review:{row_id}")
        room_days = (self.anchor - order.placed_at).total_seconds() / 86400 - 1
        low, high = REVIEW_DELAY_DAYS
        delay = rng.uniform(min(low, room_days), max(min(low, room_days), min(high, room_days)))
        return (order.placed_at + timedelta(days=delay)).replace(microsecond=0)


def demo_shop_write(
    *, out_dir: Path, seed: int = 7, anchor_date: date | None = None, limit_members: int | None = None
) -> tuple[dict[str, Path], dict[str, int], int]:
    """Build the demo shop and write its five CSVs; returns (paths, rows per kind, reviews that
    needed an added order line). `limit_members` keeps the first N customers (by id) and a
    proportional share of the reviews, for quick runs."""
    anchor_date = anchor_date or datetime.now(UTC).date()
    anchor = datetime.combine(anchor_date, time.min, tzinfo=UTC)
    reviews = clothing_reviews_read()
    catalog = demo_catalog_build(reviews=reviews, seed=seed)
    lines = retail_sample_read()
    products = stock_code_products(lines, catalog)
    newest = max(line.invoiced_at for line in lines)
    shift = timedelta(days=(anchor_date - timedelta(days=DAYS_BEFORE_ANCHOR) - newest.date()).days)

    customer_ids = sorted({line.customer_id for line in lines}, key=int)
    review_quota = len(reviews)
    if limit_members is not None:
        customer_ids = customer_ids[:limit_members]
        review_quota = round(len(reviews) * len(customer_ids) / len({line.customer_id for line in lines}))
        kept = set(customer_ids)
        lines = [line for line in lines if line.customer_id in kept]
    orders = demo_orders_build(lines=lines, products=products, shift=shift, anchor=anchor, seed=seed)
    member_ids = [DEMO_PREFIX + customer_id for customer_id in customer_ids]
    placer = ReviewPlacer(orders=orders, member_ids=member_ids, anchor=anchor, seed=seed)
    sku_of = {product.clothing_id: product.sku for product in catalog}
    placed: list[tuple[ClothingReview, DemoOrder]] = []
    for review in reviews:
        if len(placed) >= review_quota:
            break
        order = placer.place(sku_of[review.clothing_id])
        if order is not None:
            placed.append((review, order))

    with ImportCsvWriters(directory=out_dir) as writers:
        price_of = {product.sku: product.price for product in catalog}
        for product in catalog:
            writers.write(
                "products",
                (product.sku, product.title, product.description, product.category, product.brand, product.price,
                 "USD", "true"),
            )
        _members_write(writers, lines=lines, orders=orders, placed=placed, seed=seed, reviews=reviews)
        for order in orders.values():
            total = sum((price_of[sku] * quantity for sku, quantity in order.lines.items()), Decimal(0))
            writers.write(
                "orders",
                (order.external_id, order.member_id, csv_timestamp(order.placed_at), order.status, order.channel,
                 "USD", total),
            )
            for number, (sku, quantity) in enumerate(order.lines.items(), start=1):
                writers.write("order_items", (order.external_id, number, sku, quantity, price_of[sku]))
        for review, order in placed:
            writers.write(
                "reviews",
                (f"{DEMO_PREFIX}R{review.row_id}", order.member_id, sku_of[review.clothing_id], order.external_id,
                 review.rating, review.title, review.text, "en",
                 csv_timestamp(placer.review_time(order, review.row_id))),
            )
    return dict(writers.paths), dict(writers.counts), placer.added_lines


def _members_write(
    writers: ImportCsvWriters,
    *,
    lines: Sequence[RetailSampleLine],
    orders: dict[str, DemoOrder],
    placed: list[tuple[ClothingReview, DemoOrder]],
    seed: int,
    reviews: Sequence[ClothingReview],
) -> None:
    """One member per customer: country from their invoices, birth year from the age given in
    the first review attached to them (else drawn from the reviewers' ages), joined a little
    before their first order."""
    countries: dict[str, Counter] = {}
    for line in lines:
        countries.setdefault(line.customer_id, Counter())[line.country] += 1
    first_order: dict[str, datetime] = {}
    for order in orders.values():
        first_order[order.member_id] = min(first_order.get(order.member_id, order.placed_at), order.placed_at)
    age_of: dict[str, tuple[int, datetime]] = {}
    for review, order in placed:
        age_of.setdefault(order.member_id, (review.age, order.placed_at))
    ages = [review.age for review in reviews]
    for customer_id, country_counts in countries.items():
        member_id = DEMO_PREFIX + customer_id
        rng = random.Random(f"{seed}:member:{customer_id}")
        person = demo_person_make(seed=seed, key=customer_id, country=country_counts.most_common(1)[0][0])
        joined_at = first_order[member_id] - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1439))
        age, at = age_of.get(member_id, (rng.choice(ages), joined_at))
        writers.write(
            "members",
            (member_id, person.email, person.name, csv_timestamp(joined_at), person.country, person.city,
             at.year - age, person.gender, "active",
             "true" if rng.random() < MARKETING_CONSENT_SHARE else "false", ""),
        )


def demo_shop_load(
    *, seed: int = 7, anchor_date: date | None = None, limit_members: int | None = None,
    progress: Progress | None = None,
) -> DemoShopLoad:
    """Write the demo shop's CSVs to a temporary directory and import them in dependency order."""
    progress = progress or Progress.quiet()
    with tempfile.TemporaryDirectory(prefix="demo-shop-") as scratch:
        with progress.step("build the demo shop's CSV files") as step:
            paths, counts, added = demo_shop_write(
                out_dir=Path(scratch), seed=seed, anchor_date=anchor_date, limit_members=limit_members
            )
            step.summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        reports = import_csv_files(paths=paths, progress=progress)
    return DemoShopLoad(counts=counts, reports=reports, reviews_on_added_lines=added)
