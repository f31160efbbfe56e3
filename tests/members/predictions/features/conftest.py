"""Three members with hand-computed features as of AS_OF (see test_member_features.py)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.factories import MemberFactory, OrderFactory, OrderItemFactory, ProductFactory, ReviewFactory

AS_OF = date(2026, 6, 30)


def at(y: int, m: int, d: int, hour: int = 12) -> datetime:
    return datetime(y, m, d, hour, tzinfo=UTC)


@pytest.fixture
def known_members(db):
    """A: a regular with orders, a return, reviews and one order after AS_OF. B: joined, never ordered.
    D: only a cancelled order. C: joined after AS_OF (must get no row)."""
    dresses = ProductFactory(category="Dresses")
    knits = ProductFactory(category="Knits")

    a = MemberFactory(joined_at=at(2025, 1, 1))
    o1 = OrderFactory(member=a, placed_at=at(2026, 6, 20), status="delivered", total=Decimal("100.00"))
    OrderItemFactory(order=o1, product=dresses, quantity=2, unit_price=Decimal("30.00"))
    OrderItemFactory(order=o1, product=knits, quantity=1, unit_price=Decimal("40.00"))
    o2 = OrderFactory(member=a, placed_at=at(2026, 3, 1), status="paid", total=Decimal("50.00"))
    OrderItemFactory(order=o2, product=dresses, quantity=1, unit_price=Decimal("50.00"))
    o3 = OrderFactory(member=a, placed_at=at(2025, 5, 1), status="delivered", total=Decimal("200.00"))
    OrderItemFactory(order=o3, product=knits, quantity=5, unit_price=Decimal("40.00"))
    OrderFactory(member=a, placed_at=at(2026, 5, 1), status="returned", total=Decimal("80.00"))
    # The last second of AS_OF counts; the first second after it does not.
    future = OrderFactory(member=a, placed_at=at(2026, 7, 1, hour=0), status="delivered", total=Decimal("999.00"))
    OrderItemFactory(order=future, product=knits, quantity=1, unit_price=Decimal("999.00"))

    ReviewFactory(member=a, product=dresses, rating=5, created_at=at(2026, 6, 21))
    ReviewFactory(
        member=a, product=knits, rating=1, created_at=at(2026, 6, 25), sentiment="negative", topics=["delivery_logistics"]
    )
    ReviewFactory(
        member=a, product=dresses, rating=2, created_at=at(2026, 1, 1), sentiment="positive",
        topics=[{"topic": "quality", "sentiment": "positive"}],
    )  # fmt: skip
    ReviewFactory(member=a, product=knits, rating=1, created_at=at(2026, 7, 2))  # after AS_OF

    b = MemberFactory(joined_at=at(2026, 6, 1))
    d = MemberFactory(joined_at=at(2024, 1, 1))
    OrderFactory(member=d, placed_at=at(2026, 6, 1), status="cancelled", total=Decimal("20.00"))
    c = MemberFactory(joined_at=at(2026, 7, 10))
    return {"a": a, "b": b, "c": c, "d": d}
