"""A small shop in the database whose churn signal is known (for the Django-side churn tests).

Relative to `today`: every member orders at random (exponential gaps, mean `period` days) from
joining until they stop.
Complainers write a negative review about service and stop ordering that day; silent leavers
stop on a random day; the rest never stop. So "a complaint in the last 90 days" and recency
both predict churn, and the models can be checked against that.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import numpy as np

from members.models import Member, Order, Product, Review
from tests.factories import tier


def build_shop(*, today: date, members: int = 800, seed: int = 11) -> dict:
    rng = np.random.default_rng(seed)
    product = Product.objects.create(sku="SHOP-1", title="Linen shirt", category="Tops", price=Decimal(40))
    basic = tier()
    start = datetime.combine(today - timedelta(days=720), time(12), tzinfo=UTC)
    people = Member.objects.bulk_create(
        Member(external_id=f"S{i:05d}", email=f"s{i}@example.com", joined_at=start, tier=basic) for i in range(members)
    )
    orders, reviews, kinds, stops = [], [], {}, {}
    horizon = (datetime.combine(today, time(23), tzinfo=UTC) - start).days
    for m in people:
        roll = rng.random()
        # Complainers are the majority of leavers: the complaint is the signal recency cannot see (the
        # last order was recent), so a model that reads reviews is clearly better than recency here.
        kind = "complainer" if roll < 0.55 else "silent" if roll < 0.62 else "loyal"
        stop_day = int(rng.integers(200, horizon)) if kind != "loyal" else horizon + 1
        period = int(rng.integers(15, 60))
        day = int(rng.integers(0, period))
        while day < min(stop_day, horizon):
            orders.append(Order(external_id=f"{m.external_id}-{day}", member=m, placed_at=start + timedelta(days=day),
                                status="delivered", total=Decimal(int(rng.integers(20, 120)))))  # fmt: skip
            day += max(1, int(rng.exponential(period)))  # irregular, like real customers
        if kind == "complainer":
            reviews.append(Review(external_id=f"{m.external_id}-R", member=m, product=product, rating=1,
                                  created_at=start + timedelta(days=stop_day), sentiment="negative",
                                  topics=["service"], body="Nobody answered my emails."))  # fmt: skip
        # Happy reviews from anyone, so writing a review is not itself the churn signal.
        for n in range(int(rng.poisson(1.5))):
            reviews.append(Review(external_id=f"{m.external_id}-P{n}", member=m, product=product, rating=5,
                                  created_at=start + timedelta(days=int(rng.integers(0, horizon))),
                                  sentiment="positive", topics=["quality"], body="Lovely."))  # fmt: skip
        kinds[m.pk] = kind
        stops[m.pk] = (start + timedelta(days=stop_day)).date() if kind != "loyal" else None
    Order.objects.bulk_create(orders, batch_size=5000)
    Review.objects.bulk_create(reviews)
    return {"kinds": kinds, "stops": stops, "product": product}
