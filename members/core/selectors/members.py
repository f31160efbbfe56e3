"""Reads about members, with the joins and aggregates their callers need."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

from members.core.models.order import REVENUE_STATUSES
from members.models import Order


@dataclass(frozen=True)
class MemberLifetimeStats:
    lifetime_spend: Decimal
    order_count: int
    last_order_at: datetime | None


def member_lifetime_stats(*, member_id: int) -> MemberLifetimeStats:
    """Spend counts only orders the shop kept (not returned or cancelled); order_count counts all."""
    row = Order.objects.filter(member_id=member_id).aggregate(
        spend=Sum("total", filter=Q(status__in=REVENUE_STATUSES)),
        orders=Count("id"),
        last=Max("placed_at"),
    )
    return MemberLifetimeStats(
        lifetime_spend=row["spend"] or Decimal("0.00"),
        order_count=row["orders"],
        last_order_at=row["last"],
    )
