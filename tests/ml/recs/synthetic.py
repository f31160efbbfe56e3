"""Two synthetic shops for the next-buy tests, seeded and small (a few thousand purchase lines).

- grocery: every member has a few staples bought again on a personal cycle (every 14-40 days),
  plus the odd impulse item: buy-again should win there.
- fashion: nobody buys the same item twice; items come in looks (four items that sell together),
  and members buy looks piece by piece: the other pieces of a look should win, not what they have.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ml.recs.data import Purchase

START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 360
CUTOFF = START + timedelta(days=DAYS - 60)


def grocery_purchases(*, members: int = 150, items: int = 60, seed: int = 0) -> list[Purchase]:
    rng = random.Random(seed)
    rows = []
    for m in range(members):
        staples = rng.sample(range(items), 3)
        cycle = rng.randint(14, 40)
        day = rng.randint(0, cycle)
        order = 0
        while day < DAYS:
            at = START + timedelta(days=day, hours=rng.randint(8, 20))
            basket = [s for s in staples if rng.random() < 0.8] or staples[:1]
            if rng.random() < 0.3:
                basket.append(rng.randrange(items))
            rows += [Purchase(f"g{m}", f"item{i}", f"g{m}-{order}", at) for i in dict.fromkeys(basket)]
            order += 1
            day += cycle + rng.randint(-2, 2)
    return rows


def fashion_purchases(*, members: int = 200, looks: int = 25, seed: int = 0) -> list[Purchase]:
    rng = random.Random(seed)
    rows = []
    for m in range(members):
        owned: set[str] = set()
        order = 0
        day = rng.randint(0, 60)
        while day < DAYS:
            look = rng.randrange(looks)
            pieces = [f"look{look}-{p}" for p in range(4) if f"look{look}-{p}" not in owned]
            basket = rng.sample(pieces, min(len(pieces), rng.randint(1, 2)))
            at = START + timedelta(days=day, hours=rng.randint(8, 20))
            rows += [Purchase(f"f{m}", item, f"f{m}-{order}", at) for item in basket]
            owned.update(basket)
            order += 1
            day += rng.randint(10, 50)
    return rows
