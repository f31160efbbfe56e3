"""Reads for the merchandiser dashboard: one aggregate query per card, never a loop over rows.

Money is summed per currency: a shop normally sells in one, and adding pounds to dollars
would be a made-up figure. Revenue counts only REVENUE_STATUSES (what the shop kept).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from members.core.models.order import REVENUE_STATUSES
from members.models import Member, MemberStatus, Order, Review, Tier

COMPARISON_WINDOW_DAYS = 30
DAILY_REVENUE_DAYS = 60


@dataclass(frozen=True)
class MemberCounts:
    total: int
    active: int


@dataclass(frozen=True)
class RevenueComparison:
    """Revenue and order counts in the last window and the one before it, for one currency."""

    currency: str
    revenue: Decimal
    previous_revenue: Decimal
    orders: int
    previous_orders: int

    @property
    def revenue_change_pct(self) -> float | None:
        """Percent change against the previous window; None when there is nothing to compare to."""
        return _pct_change(self.revenue, self.previous_revenue)

    @property
    def orders_change_pct(self) -> float | None:
        return _pct_change(Decimal(self.orders), Decimal(self.previous_orders))


@dataclass(frozen=True)
class DailyRevenue:
    currency: str
    days: list[tuple[date, Decimal]]  # every day of the range, oldest first; quiet days are 0

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.days), Decimal(0))

    @property
    def peak(self) -> Decimal:
        return max((amount for _, amount in self.days), default=Decimal(0))

    @property
    def first_day(self) -> date:
        return self.days[0][0]

    @property
    def last_day(self) -> date:
        return self.days[-1][0]


@dataclass(frozen=True)
class TierShare:
    name: str
    members: int


def _pct_change(current: Decimal, previous: Decimal) -> float | None:
    if not previous:
        return None
    return float((current - previous) / previous * 100)


def dashboard_member_counts() -> MemberCounts:
    """All members and the active ones, in one query."""
    row = Member.objects.aggregate(total=Count("id"), active=Count("id", filter=Q(status=MemberStatus.ACTIVE)))
    return MemberCounts(total=row["total"], active=row["active"])


def dashboard_revenue_comparison(
    *, now: datetime | None = None, window_days: int = COMPARISON_WINDOW_DAYS
) -> list[RevenueComparison]:
    """Revenue and orders for [now - window, now) against the window before, one query.

    One entry per currency seen in either window, largest current revenue first; empty when
    there were no revenue orders in both windows. Orders count only revenue orders too, so
    the two figures describe the same orders.
    """
    now = now or timezone.now()
    start = now - timedelta(days=window_days)
    previous_start = start - timedelta(days=window_days)
    current = Q(placed_at__gte=start, placed_at__lt=now)
    previous = Q(placed_at__gte=previous_start, placed_at__lt=start)
    rows = (
        Order.objects.filter(status__in=REVENUE_STATUSES, placed_at__gte=previous_start, placed_at__lt=now)
        .values("currency")
        .annotate(
            revenue=Sum("total", filter=current),
            previous_revenue=Sum("total", filter=previous),
            orders=Count("id", filter=current),
            previous_orders=Count("id", filter=previous),
        )
        .order_by()
    )
    comparisons = [
        RevenueComparison(
            currency=row["currency"],
            revenue=row["revenue"] or Decimal("0.00"),
            previous_revenue=row["previous_revenue"] or Decimal("0.00"),
            orders=row["orders"],
            previous_orders=row["previous_orders"],
        )
        for row in rows
    ]
    return sorted(comparisons, key=lambda c: (-c.revenue, -c.previous_revenue, c.currency))


def dashboard_daily_revenue(*, now: datetime | None = None, days: int = DAILY_REVENUE_DAYS) -> list[DailyRevenue]:
    """Revenue per calendar day (current time zone) for the last `days` days including today, one query.

    One series per currency, the largest total first; every day appears, quiet days as 0.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    first_day = today - timedelta(days=days - 1)
    range_start = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
    rows = (
        Order.objects.filter(status__in=REVENUE_STATUSES, placed_at__gte=range_start, placed_at__lte=now)
        .annotate(day=TruncDate("placed_at"))
        .values("currency", "day")
        .annotate(revenue=Sum("total"))
        .order_by()
    )
    by_currency: dict[str, dict[date, Decimal]] = {}
    for row in rows:
        by_currency.setdefault(row["currency"], {})[row["day"]] = row["revenue"]
    all_days = [first_day + timedelta(days=offset) for offset in range(days)]
    series = [
        DailyRevenue(currency=currency, days=[(day, amounts.get(day, Decimal("0.00"))) for day in all_days])
        for currency, amounts in by_currency.items()
    ]
    return sorted(series, key=lambda s: (-s.total, s.currency))


def dashboard_tier_distribution() -> list[TierShare]:
    """Active members per tier, every tier of the ladder in rank order (empty tiers as 0), one query."""
    tiers = Tier.objects.annotate(
        active_members=Count("members", filter=Q(members__status=MemberStatus.ACTIVE))
    ).order_by("rank")
    return [TierShare(name=tier.name, members=tier.active_members) for tier in tiers]


def dashboard_newest_reviews(*, limit: int) -> QuerySet[Review]:
    """The newest reviews with product and member joined (index review_created_desc), one query."""
    return Review.objects.select_related("product", "member").order_by("-created_at", "-id")[:limit]
