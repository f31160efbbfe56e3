"""A synthetic shop of any size (up to millions of members) for scale tests.

    demo_synthetic_load(members=100_000, seed=7)

Deterministic for (members, seed, anchor date): one seeded random stream drives everything, and
rows are streamed to the five import CSVs (nothing is held per member), then imported through
`import_csv_file` (COPY on Postgres). Ids start with "SYN-" so a synthetic shop and the demo shop
can live in one database. Shape: about 5 orders per member over two years, 1-4 lines per order
with popular products bought more, ~5 % returns, recent orders still paid or shipped, and a
review for about one delivered order in twelve.
"""

from __future__ import annotations

import math
import random
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from members.demo.services.demo_shop_csv import ImportCsvWriters, import_csv_files
from members.demo.services.demo_shop_data import CLASS_NOUNS_AND_PRICES, STYLE_GROUPS
from members.demo.services.demo_shop_people import (
    CITIES,
    EMAIL_DOMAINS,
    FEMALE_FIRST_NAMES,
    MALE_FIRST_NAMES,
    SURNAMES,
)
from ml.progress import Progress

if TYPE_CHECKING:
    from members.imports.services.csv_import import ImportReport

SYN_PREFIX = "SYN-"
HISTORY_DAYS = 730
MEAN_EXTRA_ORDERS = 4.0  # orders per member = 1 + geometric(mean 4): about 5 on average
RETURN_SHARE = 0.05
REVIEW_SHARE = 1 / 12
# The real clothing reviews' rating mix (1..5 stars): mostly happy, a long unhappy tail.
RATING_WEIGHTS = (0.04, 0.07, 0.12, 0.22, 0.55)
REVIEW_TEXTS = {
    5: ("Love it", "Fits perfectly and the fabric feels lovely. I have worn it every week since it arrived."),
    4: ("Really nice", "Good quality and true to size; the colour is a little darker than the photo."),
    3: ("It's okay", "Nice design but the fit is boxy on me. Keeping it for weekends."),
    2: ("Not for me", "The material is thinner than I expected and it wrinkles easily."),
    1: ("Disappointed", "Runs very small and the seams came apart after one wash. Returned it."),
}
COUNTRY_MIX = (("United Kingdom", 0.7), ("Germany", 0.06), ("France", 0.06), ("Netherlands", 0.04),
               ("Spain", 0.04), ("Ireland", 0.04), ("United States", 0.06))


@dataclass
class SyntheticLoad:
    counts: dict[str, int]
    reports: dict[str, ImportReport]

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.reports.values())


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _timestamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def synthetic_products(*, count: int, rng: random.Random) -> list[tuple[str, str, str, str, int]]:
    """(sku, title, category, brand, price in cents) for `count` products."""
    classes = list(CLASS_NOUNS_AND_PRICES.items())
    styles = [shown for group in STYLE_GROUPS[1:] for shown in sorted(set(group.values()))]
    products = []
    for number in range(1, count + 1):
        class_name, (noun, low, high) = classes[rng.randrange(len(classes))]
        price = (10 * (rng.randint(low, high) // 10) + 8) * 100
        products.append((f"{SYN_PREFIX}P{number:06d}", f"{rng.choice(styles)} {noun} #{number}", class_name,
                         f"Synthetic Brand {rng.randint(1, 12)}", price))
    return products


def demo_synthetic_write(
    *, out_dir: Path, members: int, seed: int = 7, anchor_date: date | None = None
) -> tuple[dict[str, Path], dict[str, int]]:
    """Stream a synthetic shop of `members` members into the five CSVs under `out_dir`."""
    rng = random.Random(f"{seed}:synthetic:{members}")
    anchor_date = anchor_date or datetime.now(UTC).date()
    anchor = int(datetime.combine(anchor_date, time.min, tzinfo=UTC).timestamp())
    day = 86_400
    products = synthetic_products(count=max(50, min(20_000, members // 20)), rng=rng)
    countries = [name for name, _ in COUNTRY_MIX]
    country_weights = [share for _, share in COUNTRY_MIX]
    extra_orders_p = 1 / (1 + MEAN_EXTRA_ORDERS)
    log_keep = math.log(1 - extra_orders_p)
    order_number = review_number = 0
    with ImportCsvWriters(directory=out_dir) as writers:
        for sku, title, category, brand, price in products:
            writers.write("products", (sku, title, f"{category}, synthetic catalogue.", category, brand,
                                       _money(price), "USD", "true"))
        for number in range(1, members + 1):
            member_id = f"{SYN_PREFIX}{number:07d}"
            female = rng.random() < 0.88
            first = rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES)
            last = rng.choice(SURNAMES)
            country = rng.choices(countries, country_weights)[0]
            joined = anchor - rng.randrange(30 * day, HISTORY_DAYS * day)
            writers.write("members", (
                member_id, f"{first}.{last}{number}@{rng.choice(EMAIL_DOMAINS)}".lower().replace(" ", "")
                .replace("'", ""), f"{first} {last}", _timestamp(joined), country, rng.choice(CITIES[country]),
                rng.randint(1950, 2004), "f" if female else "m", "active",
                "true" if rng.random() < 0.6 else "false", "",
            ))
            # Geometric number of extra orders (inverse CDF: no loop per order count).
            orders = 1 + int(math.log(1 - rng.random()) / log_keep)
            for _ in range(orders):
                order_number += 1
                order_id = f"{SYN_PREFIX}O{order_number:09d}"
                placed = rng.randrange(joined, anchor - 3600)
                age_days = (anchor - placed) / day
                status = ("returned" if rng.random() < RETURN_SHARE else
                          "paid" if age_days < 3 else "shipped" if age_days < 8 else "delivered")
                total = 0
                lines = []
                for line_number in range(1, rng.choice((1, 1, 1, 2, 2, 3, 4)) + 1):
                    # u**2 favours low indexes: popular products are bought more.
                    product = products[int(len(products) * rng.random() ** 2)]
                    quantity = 1 if rng.random() < 0.85 else 2
                    total += product[4] * quantity
                    lines.append((order_id, line_number, product[0], quantity, _money(product[4])))
                writers.write("orders", (order_id, member_id, _timestamp(placed), status,
                                         "app" if rng.random() < 0.3 else "web", "USD", _money(total)))
                writers.write_many("order_items", lines)
                if status == "delivered" and rng.random() < REVIEW_SHARE:
                    review_number += 1
                    rating = rng.choices((1, 2, 3, 4, 5), RATING_WEIGHTS)[0]
                    title, body = REVIEW_TEXTS[rating]
                    written = min(anchor - 60, placed + rng.randrange(3 * day, 21 * day))
                    writers.write("reviews", (f"{SYN_PREFIX}R{review_number:09d}", member_id, lines[0][2],
                                              order_id, rating, title, body, "en", _timestamp(written)))
    return dict(writers.paths), dict(writers.counts)


def demo_synthetic_load(*, members: int, seed: int = 7, anchor_date: date | None = None,
                        progress: Progress | None = None) -> SyntheticLoad:
    """Write a synthetic shop to a temporary directory and import it in dependency order."""
    progress = progress or Progress.quiet()
    with tempfile.TemporaryDirectory(prefix="synthetic-shop-") as scratch:
        with progress.step("generate the synthetic shop's CSV files") as step:
            paths, counts = demo_synthetic_write(out_dir=Path(scratch), members=members, seed=seed,
                                                 anchor_date=anchor_date)
            step.summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        reports = import_csv_files(paths=paths, progress=progress)
    return SyntheticLoad(counts=counts, reports=reports)

