"""The Chinese demo shop: a food-delivery platform's shops and dishes, Chinese members, CNY prices and
real Chinese reviews, loaded idempotently. `manage.py load_demo --lang zh`.

    result = demo_shop_zh_load(seed=7)

Built like the English shop (demo_shop.py), from the same parts:
- reviews: every waimai_10k review (../shared/datasets/waimai_10k, read at run time, never
  copied here; see demo_shop_zh_data), with stars from its label (positive 4-5, negative 1-2) and
  language "zh", filed under the dish its text names (demo_shop_zh_data.dishes_assign).
- products: the dishes of a dozen fictional take-away shops, priced in CNY.
- members and orders: the Online Retail II purchase histories replayed as for the English shop
  (demo_orders_build, stock codes mapped onto dishes by popularity), with Chinese people in
  Chinese cities (demo_shop_zh_people). Food arrives within the hour, so every order that was
  not cancelled is delivered; cancellation invoices become returned orders.
- each review belongs to a delivered order of its member holding the dish (ReviewPlacer), and
  was written a few hours after that order.

Ids start with "ZH-" (members, orders, reviews) and "WM-" (products), so the English and Chinese
shops never overwrite each other. Everything is a pure function of (seed, anchor date, limit,
review file); loading twice on the same day changes nothing.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from members.demo.services.demo_shop import (
    DAYS_BEFORE_ANCHOR,
    MARKETING_CONSENT_SHARE,
    DemoOrder,
    DemoShopLoad,
    ReviewPlacer,
    demo_orders_build,
    stock_code_products,
)
from members.demo.services.demo_shop_csv import ImportCsvWriters, csv_timestamp, import_csv_files
from members.demo.services.demo_shop_data import retail_sample_read
from members.demo.services.demo_shop_zh_data import (
    WaimaiReview,
    dishes_assign,
    waimai_file,
    waimai_reviews_read,
    zh_catalog_build,
)
from members.demo.services.demo_shop_zh_people import demo_person_zh_make
from ml.progress import Progress

ZH_PREFIX = "ZH-"
CURRENCY = "CNY"
APP_CHANNEL_SHARE = 0.85  # delivery orders come mostly from the phone app
# A delivery review is written the same evening or the next day.
REVIEW_DELAY_HOURS = (0.5, 30.0)


def _delivery_statuses(orders: dict[str, DemoOrder], *, seed: int) -> None:
    """Food is delivered within the hour: every order that was not cancelled is delivered (the
    replay's paid/shipped stages mean days of parcel post). Also sets the channel mix of an app."""
    for order in orders.values():
        if order.status != "returned":
            order.status = "delivered"
        rng = random.Random(f"{seed}:zh-channel:{order.external_id}")
        order.channel = "app" if rng.random() < APP_CHANNEL_SHARE else "web"


def _review_time(order: DemoOrder, *, anchor: datetime, row_id: int, seed: int) -> datetime:
    low, high = REVIEW_DELAY_HOURS
    hours = random.Random(f"{seed}:zh-review:{row_id}").uniform(low, high)
    # Never after the anchor (the replay's newest orders are DAYS_BEFORE_ANCHOR old, so this rarely bites).
    latest = max(order.placed_at, anchor - timedelta(hours=1))
    return min(order.placed_at + timedelta(hours=hours), latest).replace(microsecond=0)


def demo_shop_zh_write(
    *, out_dir: Path, seed: int = 7, anchor_date: date | None = None, limit_members: int | None = None,
    reviews_path: Path | None = None,
) -> tuple[dict[str, Path], dict[str, int], int]:
    """Build the Chinese shop and write its five CSVs; returns (paths, rows per kind, reviews that
    needed an added order line). `limit_members` keeps the first N customers (by id) and a
    proportional share of the reviews. Raises DemoDataMissing when the review file is absent."""
    anchor_date = anchor_date or datetime.now(UTC).date()
    anchor = datetime.combine(anchor_date, time.min, tzinfo=UTC)
    reviews = waimai_reviews_read(waimai_file(reviews_path))
    dish_of_review = dishes_assign(reviews, seed=seed)
    catalog = zh_catalog_build(dish_of_review=dish_of_review, seed=seed)
    lines = retail_sample_read()
    products = stock_code_products(lines, catalog)
    newest = max(line.invoiced_at for line in lines)
    shift = timedelta(days=(anchor_date - timedelta(days=DAYS_BEFORE_ANCHOR) - newest.date()).days)

    all_customers = {line.customer_id for line in lines}
    customer_ids = sorted(all_customers, key=int)
    review_quota = len(reviews)
    if limit_members is not None:
        customer_ids = customer_ids[:limit_members]
        review_quota = round(len(reviews) * len(customer_ids) / len(all_customers))
        kept = set(customer_ids)
        lines = [line for line in lines if line.customer_id in kept]
    orders = demo_orders_build(lines=lines, products=products, shift=shift, anchor=anchor, seed=seed, prefix=ZH_PREFIX)
    _delivery_statuses(orders, seed=seed)
    placer = ReviewPlacer(
        orders=orders, member_ids=[ZH_PREFIX + customer_id for customer_id in customer_ids], anchor=anchor, seed=seed
    )
    sku_of_dish = {product.clothing_id: product.sku for product in catalog}
    placed: list[tuple[WaimaiReview, DemoOrder]] = []
    # The file lists every positive review before the negatives: a seeded shuffle gives a small
    # (--limit-members) shop the same mix as the whole one.
    in_order = list(reviews)
    random.Random(f"{seed}:zh-review-order").shuffle(in_order)
    for review in in_order:
        if len(placed) >= review_quota:
            break
        order = placer.place(sku_of_dish[str(dish_of_review[review.row_id])])
        if order is not None:
            placed.append((review, order))

    with ImportCsvWriters(directory=out_dir) as writers:
        price_of = {product.sku: product.price for product in catalog}
        for product in catalog:
            writers.write(
                "products",
                (product.sku, product.title, product.description, product.category, product.brand, product.price,
                 CURRENCY, "true"),
            )
        _members_write(writers, customer_ids=customer_ids, orders=orders, seed=seed)
        for order in orders.values():
            total = sum((price_of[sku] * quantity for sku, quantity in order.lines.items()), Decimal(0))
            writers.write(
                "orders",
                (order.external_id, order.member_id, csv_timestamp(order.placed_at), order.status, order.channel,
                 CURRENCY, total),
            )
            for number, (sku, quantity) in enumerate(order.lines.items(), start=1):
                writers.write("order_items", (order.external_id, number, sku, quantity, price_of[sku]))
        for review, order in placed:
            writers.write(
                "reviews",
                (f"{ZH_PREFIX}R{review.row_id}", order.member_id, sku_of_dish[str(dish_of_review[review.row_id])],
                 order.external_id, review.rating(seed=seed), "", review.text, "zh",
                 csv_timestamp(_review_time(order, anchor=anchor, row_id=review.row_id, seed=seed))),
            )
    return dict(writers.paths), dict(writers.counts), placer.added_lines


def _members_write(
    writers: ImportCsvWriters, *, customer_ids: Sequence[str], orders: dict[str, DemoOrder], seed: int
) -> None:
    """One member per customer with orders, joined a little before their first order."""
    first_order: dict[str, datetime] = {}
    for order in orders.values():
        first_order[order.member_id] = min(first_order.get(order.member_id, order.placed_at), order.placed_at)
    for customer_id in customer_ids:
        member_id = ZH_PREFIX + customer_id
        if member_id not in first_order:
            continue
        rng = random.Random(f"{seed}:zh-member:{customer_id}")
        person = demo_person_zh_make(seed=seed, key=customer_id)
        joined_at = first_order[member_id] - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1439))
        writers.write(
            "members",
            (member_id, person.email, person.name, csv_timestamp(joined_at), person.country, person.city,
             joined_at.year - person.age, person.gender, "active",
             "true" if rng.random() < MARKETING_CONSENT_SHARE else "false", ""),
        )


def demo_shop_zh_load(
    *, seed: int = 7, anchor_date: date | None = None, limit_members: int | None = None,
    reviews_path: Path | None = None, progress: Progress | None = None,
) -> DemoShopLoad:
    """Write the Chinese shop's CSVs to a temporary directory and import them in dependency order.
    Raises DemoDataMissing (before touching the database) when the review file is absent."""
    progress = progress or Progress.quiet()
    with tempfile.TemporaryDirectory(prefix="demo-shop-zh-") as scratch:
        with progress.step("build the Chinese demo shop's CSV files") as step:
            paths, counts, added = demo_shop_zh_write(
                out_dir=Path(scratch), seed=seed, anchor_date=anchor_date, limit_members=limit_members,
                reviews_path=reviews_path,
            )
            step.summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        reports = import_csv_files(paths=paths, progress=progress)
    return DemoShopLoad(counts=counts, reports=reports, reviews_on_added_lines=added)
