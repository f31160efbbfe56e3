"""Reads for the Tier changes and Tier ladder pages (members/tiers/views/tier_changes.py, tiers.py)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from members.models import Member, MemberStatus, Tier, TierChange, TierChangeStatus

DECIDED_STATUSES = (TierChangeStatus.APPLIED, TierChangeStatus.REJECTED, TierChangeStatus.WITHDRAWN)


@dataclass(frozen=True)
class TierChangePage:
    changes: list[TierChange]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def tier_change_list_page(
    *,
    page: int,
    page_size: int,
    history: bool = False,
    direction: str = "",
    to_tier: str = "",
    source: str = "",
) -> TierChangePage:
    """Open proposals (or, with `history`, decided changes), newest first, one query: the page plus
    one row to know whether another page follows (no COUNT). `direction` is "upgrade"/"downgrade"."""
    changes: QuerySet = TierChange.objects.select_related("member", "from_tier", "to_tier", "decided_by")
    if history:
        changes = changes.filter(status__in=DECIDED_STATUSES).order_by("-decided_at", "-id")
    else:
        changes = changes.filter(status=TierChangeStatus.PROPOSED).order_by("-created_at", "-id")
    if direction == "upgrade":
        changes = changes.filter(Q(from_tier__isnull=True) | Q(to_tier__rank__gt=F("from_tier__rank")))
    elif direction == "downgrade":
        changes = changes.filter(to_tier__rank__lt=F("from_tier__rank"))
    if to_tier:
        changes = changes.filter(to_tier__code=to_tier)
    if source:
        changes = changes.filter(source=source)
    offset = (page - 1) * page_size
    rows = list(changes[offset : offset + page_size + 1])
    return TierChangePage(changes=rows[:page_size], page=page, has_next=len(rows) > page_size)


def tier_change_get(*, tier_change_id: int) -> TierChange:
    """One change with what its table row shows (one query); raises TierChange.DoesNotExist."""
    return TierChange.objects.select_related("member", "from_tier", "to_tier", "decided_by").get(
        pk=tier_change_id
    )


@dataclass(frozen=True)
class TierLadderRow:
    tier: Tier
    active_members: int
    open_upgrades_in: int
    open_downgrades_in: int


def tier_ladder() -> list[TierLadderRow]:
    """Every tier in rank order with its active members and open proposals into it (one query)."""
    proposed_in = TierChange.objects.filter(to_tier=OuterRef("pk"), status=TierChangeStatus.PROPOSED)

    def _count(qs):
        return Coalesce(Subquery(qs.order_by().values("to_tier").annotate(n=Count("pk")).values("n")[:1]), 0)

    tiers = Tier.objects.order_by("rank").annotate(
        active=Count("members", filter=Q(members__status=MemberStatus.ACTIVE)),
        ups=_count(proposed_in.filter(to_tier__rank__gt=F("from_tier__rank"))),
        downs=_count(proposed_in.filter(to_tier__rank__lt=F("from_tier__rank"))),
    )
    return [
        TierLadderRow(tier=t, active_members=t.active, open_upgrades_in=t.ups, open_downgrades_in=t.downs)
        for t in tiers
    ]


@dataclass(frozen=True)
class TierHistorySeries:
    code: str
    name: str
    points: list[tuple[date, int]]  # (month end, members in the tier then), oldest first


def tier_distribution_history(*, months: int, today: date | None = None) -> list[TierHistorySeries]:
    """Members per tier at the end of each of the last `months` months (the current month counts
    to today), rebuilt backwards from today's counts and the applied TierChange history: a month's
    applied changes are undone, and members who joined later are taken out of the tier they
    started in (the from_tier of their first applied change, else their tier now). Four queries."""
    today = today or timezone.localdate()
    first = _add_months(date(today.year, today.month, 1), -(months - 1))
    tiers = list(Tier.objects.order_by("rank").values_list("pk", "code", "name"))
    now_counts = dict(
        Member.objects.order_by().values("tier_id").annotate(n=Count("pk")).values_list("tier_id", "n")
    )
    delta: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    moves = (
        TierChange.objects.filter(status=TierChangeStatus.APPLIED, decided_at__date__gte=first)
        .annotate(month=TruncMonth("decided_at"))
        .order_by()
        .values("month", "from_tier_id", "to_tier_id")
        .annotate(n=Count("pk"))
    )
    for row in moves:
        month = _month(row["month"])
        delta[month][row["to_tier_id"]] += row["n"]
        if row["from_tier_id"]:
            delta[month][row["from_tier_id"]] -= row["n"]
    first_from = (
        TierChange.objects.filter(member=OuterRef("pk"), status=TierChangeStatus.APPLIED)
        .order_by("decided_at", "pk")
        .values("from_tier_id")[:1]
    )
    joins = (
        Member.objects.filter(joined_at__date__gte=first)
        .annotate(
            month=TruncMonth("joined_at"),
            start_tier=Coalesce(Subquery(first_from), F("tier_id"), output_field=IntegerField()),
        )
        .order_by()
        .values("month", "start_tier")
        .annotate(n=Count("pk"))
    )
    for row in joins:
        delta[_month(row["month"])][row["start_tier"]] += row["n"]
    counts = {pk: now_counts.get(pk, 0) for pk, _, _ in tiers}
    points: dict[int, list[tuple[date, int]]] = {pk: [] for pk, _, _ in tiers}
    month = date(today.year, today.month, 1)
    end = today
    for _ in range(months):
        for pk, count in list(counts.items()):
            points[pk].append((end, count))
            counts[pk] = count - delta[month].get(pk, 0)
        end = _prev_day(month)
        month = _add_months(month, -1)
    return [
        TierHistorySeries(code=code, name=name, points=list(reversed(points[pk]))) for pk, code, name in tiers
    ]


def _month(value) -> date:
    value = value.date() if hasattr(value, "date") else value
    return date(value.year, value.month, 1)


def _prev_day(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
