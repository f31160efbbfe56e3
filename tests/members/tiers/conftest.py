from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from members.models import TierPolicy
from members.tiers.services.tier_policy import tier_policy_active
from tests.factories import OrderFactory

AS_OF = date(2026, 6, 30)


def order_on(member, day: date, total: str, status: str = "delivered", hour: int = 12):
    """One order placed at `hour`:00 UTC on `day` (the site's time zone is UTC)."""
    return OrderFactory(
        member=member,
        placed_at=datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
        total=Decimal(total),
        status=status,
    )


def days_before(days: int) -> date:
    return AS_OF - timedelta(days=days)


@pytest.fixture
def policy(db) -> TierPolicy:
    """The active policy (v1 defaults: 365-day window, 30 days' grace, propose upgrades, AND)."""
    return tier_policy_active()
