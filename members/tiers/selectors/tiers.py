"""Reads behind tier management: window metrics per member, qualification, what-if, history.

Qualification rule (one place, used by the evaluation, the what-if and the ladder page): a
member's window metrics are the sum of order totals (spend) and the count (orders) of their
orders with a REVENUE_STATUSES status placed in the qualifying window. The window of
`window_days` ending on `as_of` covers the days (as_of - window_days, as_of], today included, in
the site's time zone: an order placed exactly `window_days` days ago has just fallen out. A
member qualifies for the highest-ranked tier whose thresholds they meet; with qualify_on
"spend_and_orders" both min_spend and min_orders must be met, with "spend_or_orders" either one
(a zero threshold is not "met" by itself there, or every member would qualify; a tier with both
thresholds at zero qualifies everyone). Nobody qualifies below the lowest rank.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from members.core.models.order import REVENUE_STATUSES
from members.models import Member, MemberFeatures, MemberStatus, Order, Tier, TierQualifyOn
from members.predictions.features import features_cutoff

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TierThreshold:
    tier_id: int
    code: str
    name: str
    rank: int
    min_spend: Decimal
    min_orders: int

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "rank": self.rank,
            "min_spend": str(self.min_spend),
            "min_orders": self.min_orders,
        }


def tier_thresholds(*, overrides: dict[str, dict] | None = None) -> list[TierThreshold]:
    """The ladder in rank order (one query), with `overrides` ({code: {"min_spend", "min_orders"}})
    replacing the stored thresholds of the tiers they name."""
    ladder = [
        TierThreshold(
            tier_id=t.pk,
            code=t.code,
            name=t.name,
            rank=t.rank,
            min_spend=t.min_spend,
            min_orders=t.min_orders,
        )
        for t in Tier.objects.order_by("rank")
    ]
    return tier_thresholds_override(ladder, overrides or {})


def tier_thresholds_override(ladder: list[TierThreshold], overrides: dict[str, dict]) -> list[TierThreshold]:
    """`ladder` with the thresholds `overrides` names replaced (no query)."""
    return [
        replace(
            t,
            min_spend=Decimal(str(overrides[t.code].get("min_spend", t.min_spend))),
            min_orders=int(overrides[t.code].get("min_orders", t.min_orders)),
        )
        if t.code in overrides
        else t
        for t in ladder
    ]


def tier_window(*, as_of: date, window_days: int) -> tuple[datetime, datetime]:
    """[start, end) instants of the qualifying window ending on `as_of` (see the module docstring)."""
    tz = timezone.get_current_timezone()
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=tz)
    return end - timedelta(days=window_days), end


def tier_qualifies_q(threshold: TierThreshold, *, qualify_on: str, spend: str, orders: str) -> Q:
    """The SQL condition "the metrics named `spend` and `orders` meet `threshold`"."""
    if qualify_on == TierQualifyOn.SPEND_OR_ORDERS:
        if not threshold.min_spend and not threshold.min_orders:
            return Q(pk__isnull=False)
        q = Q()
        if threshold.min_spend:
            q |= Q(**{f"{spend}__gte": threshold.min_spend})
        if threshold.min_orders:
            q |= Q(**{f"{orders}__gte": threshold.min_orders})
        return q
    return Q(**{f"{spend}__gte": threshold.min_spend}) & Q(**{f"{orders}__gte": threshold.min_orders})


def tier_qualifying_rank(ladder: list[TierThreshold], *, qualify_on: str) -> Case:
    """CASE expression: the rank of the highest tier whose thresholds the window metrics meet."""
    whens = [
        When(
            tier_qualifies_q(t, qualify_on=qualify_on, spend="window_spend", orders="window_orders"),
            then=Value(t.rank),
        )
        for t in reversed(ladder[1:])
    ]
    return Case(*whens, default=Value(ladder[0].rank), output_field=IntegerField())


def tier_member_metrics(*, as_of: date, window_days: int, member_ids=None) -> QuerySet:
    """Active members as values(pk, tier_id, tier__rank, ...) with window_spend and window_orders
    aggregated in SQL (one LEFT JOIN ... GROUP BY); members without orders get 0 and 0."""
    start, end = tier_window(as_of=as_of, window_days=window_days)
    in_window = Q(
        orders__status__in=REVENUE_STATUSES, orders__placed_at__gte=start, orders__placed_at__lt=end
    )
    members = Member.objects.filter(status=MemberStatus.ACTIVE)
    if member_ids is not None:
        members = members.filter(pk__in=list(member_ids))
    return (
        members.order_by()
        .values("pk", "tier_id", "tier__rank", "tier_locked_until", "tier_below_threshold_since")
        .annotate(
            window_spend=Coalesce(
                Sum("orders__total", filter=in_window),
                Value(ZERO),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
            window_orders=Count("orders", filter=in_window),
        )
    )


def tier_member_metrics_from_snapshot(*, as_of: date, window_days: int) -> QuerySet | None:
    """tier_member_metrics for every active member, read from the MemberFeatures snapshot of `as_of`
    instead of aggregating the orders again (the nightly refresh computed that snapshot one step
    earlier; at 5,000,000 orders the aggregate took about 40 s, BENCHMARKS.md). The snapshot's
    monetary_365 / frequency_365 are the same sums over the same orders (REVENUE_STATUSES, placed in
    [cut-off - 365 days, cut-off)), so this is used only when the qualifying window is exactly that
    span (365 days, and the site's midnight is UTC's) and every active member has a snapshot row for
    `as_of`; otherwise None, and the caller aggregates the orders. The snapshot reflects the orders
    when it was computed."""
    start, end = tier_window(as_of=as_of, window_days=window_days)
    cutoff = features_cutoff(as_of=as_of)
    if (start, end) != (cutoff - timedelta(days=365), cutoff):
        return None
    members = Member.objects.filter(status=MemberStatus.ACTIVE)
    snapshot = MemberFeatures.objects.filter(member_id=OuterRef("pk"), as_of=as_of)
    if members.filter(~Exists(snapshot)).exists():
        return None
    return (
        members.order_by()
        .annotate(snap=FilteredRelation("feature_snapshots", condition=Q(feature_snapshots__as_of=as_of)))
        .values("pk", "tier_id", "tier__rank", "tier_locked_until", "tier_below_threshold_since")
        .annotate(
            window_spend=Coalesce(
                F("snap__monetary_365"), Value(ZERO), output_field=DecimalField(max_digits=16, decimal_places=2)
            ),
            window_orders=Coalesce(F("snap__frequency_365"), Value(0), output_field=IntegerField()),
        )
    )


# ---- what-if ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierWhatIfRow:
    """One tier under proposed thresholds vs the current ones. up/down: members of this tier who
    would qualify above/below it; qualifying: members whose qualifying tier this would be."""

    code: str
    name: str
    members: int
    up: int
    down: int
    qualifying: int
    current_up: int
    current_down: int
    current_qualifying: int


def tier_policy_what_if(
    *, thresholds: dict[str, dict], as_of: date, window_days: int, qualify_on: str
) -> list[TierWhatIfRow]:
    """Per tier, how many active members would move up or down (and how many would qualify for it)
    under `thresholds` ({code: {"min_spend", "min_orders"}}, tiers not named keep theirs), beside
    the same figures under the stored thresholds. Counts qualification only: members locked
    through `as_of` are left out, the grace period and the one-level-down rule are not applied.
    Writes nothing; two queries (the ladder, then one aggregate over the per-member metrics)."""
    current = tier_thresholds()
    proposed = tier_thresholds_override(current, thresholds)
    inner = (
        tier_member_metrics(as_of=as_of, window_days=window_days)
        .exclude(tier_locked_until__gte=as_of)
        .annotate(
            member_rank=F("tier__rank"),
            new_rank=tier_qualifying_rank(proposed, qualify_on=qualify_on),
            cur_rank=tier_qualifying_rank(current, qualify_on=qualify_on),
        )
        .values("member_rank", "new_rank", "cur_rank")
    )
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.member_rank, t.new_rank, t.cur_rank, COUNT(*) "
            f"FROM ({sql}) t GROUP BY t.member_rank, t.new_rank, t.cur_rank",
            params,
        )
        groups = cursor.fetchall()
    tally: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for rank, new_rank, cur_rank, count in groups:
        row = tally[rank]
        row["members"] += count
        row["up"] += count if new_rank > rank else 0
        row["down"] += count if new_rank < rank else 0
        row["current_up"] += count if cur_rank > rank else 0
        row["current_down"] += count if cur_rank < rank else 0
        tally[new_rank]["qualifying"] += count
        tally[cur_rank]["current_qualifying"] += count
    return [
        TierWhatIfRow(
            code=t.code,
            name=t.name,
            **{
                k: tally[t.rank][k]
                for k in (
                    "members",
                    "up",
                    "down",
                    "qualifying",
                    "current_up",
                    "current_down",
                    "current_qualifying",
                )
            },
        )
        for t in current
    ]


# ---- about to lose a tier -----------------------------------------------------------------------


@dataclass(frozen=True)
class TierAtRisk:
    """A member whose window metrics fall below their tier on `drop_date` as old orders age out,
    unless they spend `spend_needed` more (and/or place `orders_needed` more orders) by then."""

    member_id: int
    external_id: str
    name: str
    tier_id: int
    tier_code: str
    tier_name: str
    drop_date: date
    spend_needed: Decimal
    orders_needed: int
    either: bool  # spend_or_orders policy: meeting either figure is enough

    @property
    def message(self) -> str:
        parts = []
        if self.spend_needed > 0:
            parts.append(f"{self.spend_needed:,.2f} more")
        if self.orders_needed > 0:
            parts.append(f"{self.orders_needed} more order{'s' if self.orders_needed != 1 else ''}")
        needs = (" or " if self.either else " and ").join(parts)
        return f"needs {needs} by {self.drop_date.isoformat()} to keep {self.tier_name}"


def _qualifies_sql(*, qualify_on: str, spend: str, orders: str) -> str:
    if qualify_on == TierQualifyOn.SPEND_OR_ORDERS:
        return (
            f"((t.min_spend > 0 AND {spend} >= t.min_spend) OR (t.min_orders > 0 AND {orders} >= t.min_orders)"
            " OR (t.min_spend = 0 AND t.min_orders = 0))"
        )
    return f"({spend} >= t.min_spend AND {orders} >= t.min_orders)"


def tier_members_about_to_lose(
    *, as_of: date, horizon_days: int, window_days: int, qualify_on: str, limit: int | None = None
) -> list[TierAtRisk]:
    """Active, unlocked members who meet their tier today but will not by `as_of + horizon_days`
    because orders leave the window, soonest first. Only orders already placed are considered.
    `drop_date` is the first day they would be below; the amounts are what they need by then.
    One query: window functions over the members' in-window orders (oldest first) give what is
    left after each order drops out; the first order whose leaving breaks the tier wins."""
    start, end = tier_window(as_of=as_of, window_days=window_days)
    # An order leaves the window within the horizon iff it is older than the horizon end's window start.
    leaves_before, _ = tier_window(as_of=as_of + timedelta(days=horizon_days), window_days=window_days)
    # The ORM writes the per-order rows so the local calendar day (TruncDate) is right on every backend.
    # Only the orders of members the outer query can keep (active, unlocked, above the lowest tier):
    # the window functions then sort those alone, not every in-window order (most members sit in
    # the entry tier, whose orders the outer query drops anyway). Same rows out.
    lowest_rank = Subquery(Tier.objects.order_by("rank").values("rank")[:1])
    orders = (
        Order.objects.filter(
            status__in=REVENUE_STATUSES, placed_at__gte=start, placed_at__lt=end,
            member__status=MemberStatus.ACTIVE, member__tier__rank__gt=lowest_rank,
        )
        .filter(Q(member__tier_locked_until__isnull=True) | Q(member__tier_locked_until__lt=as_of))
        .annotate(
            day=TruncDate("placed_at"),
            before_horizon=Case(
                When(placed_at__lt=leaves_before, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by()
        .values("member_id", "total", "day", "before_horizon")
    )
    orders_sql, orders_params = orders.query.sql_with_params()
    # Window frames ORDER BY day include the whole day (RANGE peers): orders of one day leave together.
    sql = f"""
        SELECT member_id, external_id, name, tier_id, code, tier_name, day, spend_needed, orders_needed FROM (
            SELECT w.member_id, m.external_id, m.name, t.id AS tier_id, t.code, t.name AS tier_name, w.day,
                   t.min_spend - (w.spend - w.dropped_spend) AS spend_needed,
                   t.min_orders - (w.n - w.dropped_n) AS orders_needed,
                   ROW_NUMBER() OVER (PARTITION BY w.member_id ORDER BY w.day) AS first_drop
            FROM (
                SELECT o.member_id, o.day, o.before_horizon,
                       SUM(o.total) OVER (PARTITION BY o.member_id) AS spend,
                       COUNT(*) OVER (PARTITION BY o.member_id) AS n,
                       SUM(o.total) OVER (PARTITION BY o.member_id ORDER BY o.day) AS dropped_spend,
                       COUNT(*) OVER (PARTITION BY o.member_id ORDER BY o.day) AS dropped_n
                FROM ({orders_sql}) o
            ) w
            JOIN members_member m ON m.id = w.member_id
            JOIN members_tier t ON t.id = m.tier_id
            WHERE m.status = %s
              AND (m.tier_locked_until IS NULL OR m.tier_locked_until < %s)
              AND t.rank > (SELECT MIN(rank) FROM members_tier)
              AND w.before_horizon = 1
              AND {_qualifies_sql(qualify_on=qualify_on, spend="w.spend", orders="w.n")}
              AND NOT {
        _qualifies_sql(qualify_on=qualify_on, spend="w.spend - w.dropped_spend", orders="w.n - w.dropped_n")
    }
        ) x
        WHERE first_drop = 1
        ORDER BY day, member_id
    """
    params = [*orders_params, MemberStatus.ACTIVE.value, as_of]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    either = qualify_on == TierQualifyOn.SPEND_OR_ORDERS
    return [
        TierAtRisk(
            member_id=member_id,
            external_id=external_id,
            name=name,
            tier_id=tier_id,
            tier_code=code,
            tier_name=tier_name,
            drop_date=_as_date(day) + timedelta(days=window_days),
            spend_needed=max(Decimal(str(spend_needed)).quantize(Decimal("0.01")), ZERO),
            orders_needed=max(int(orders_needed), 0),
            either=either,
        )
        for member_id, external_id, name, tier_id, code, tier_name, day, spend_needed, orders_needed in rows
    ]


def _as_date(value) -> date:
    # SQLite hands raw dates back as text.
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value
