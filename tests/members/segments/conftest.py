"""A fixed synthetic population with three clearly separated behaviour groups, as feature snapshots."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import MemberFeatures
from tests.factories import MemberFactory, tier

AS_OF = date(2026, 6, 30)
GROUP_SIZE = 20


def _features(group: str, rng: random.Random) -> dict:
    if group == "loyal":  # many orders, big spend, recent, long tenure, happy, Dresses + Knits
        return {
            "recency_days": rng.randint(2, 20),
            "frequency_365": rng.randint(8, 12),
            "monetary_365": Decimal(rng.randint(900, 1500)),
            "avg_order_value": Decimal(rng.randint(100, 140)),
            "return_cancel_rate": 0.02,
            "tenure_days": rng.randint(1000, 1400),
            "review_count": rng.randint(3, 6),
            "negative_review_share": 0.05,
            "category_shares": {"Dresses": 0.6, "Knits": 0.4},
        }
    if group == "lapsed":  # one old small order, unhappy, Tops
        return {
            "recency_days": rng.randint(250, 360),
            "frequency_365": rng.randint(0, 1),
            "monetary_365": Decimal(rng.randint(0, 40)),
            "avg_order_value": Decimal(rng.randint(20, 40)),
            "return_cancel_rate": 0.3,
            "tenure_days": rng.randint(500, 800),
            "review_count": 1,
            "negative_review_share": 0.9,
            "category_shares": {"Tops": 1.0},
        }
    return {
        "recency_days": None,
        "frequency_365": 0,
        "monetary_365": Decimal(0),
        "avg_order_value": None,  # new
        "return_cancel_rate": None,
        "tenure_days": rng.randint(1, 30),
        "review_count": 0,
        "negative_review_share": None,
        "category_shares": {},
    }


def make_population(
    *, as_of: date = AS_OF, seed: int = 7, groups=("loyal", "lapsed", "new"), members: dict | None = None
) -> dict[str, list[int]]:
    """Members (created once, reused through `members`) with one snapshot each at `as_of`.
    Returns {group: [member ids]}."""
    rng = random.Random(seed)
    members = members if members is not None else {}
    rows = []
    for group in groups:
        if group not in members:
            members[group] = [
                m.pk
                for m in MemberFactory.create_batch(
                    GROUP_SIZE,
                    tier=tier("gold" if group == "loyal" else "basic"),
                    country="France" if group == "loyal" else "United Kingdom",
                )
            ]
        for member_id in members[group]:
            rows.append(
                MemberFeatures(
                    member_id=member_id, as_of=as_of, computed_at=timezone.now(), **_features(group, rng)
                )
            )
    MemberFeatures.objects.bulk_create(rows)
    return members


@pytest.fixture
def population(db):
    return make_population()
