"""Reads for one member's intelligence: the member page's timeline and the scores API
(segment, churn risk and reasons, spend forecast, progress to the next tier).

Next-tier progress uses the tier engineer's qualification rule (members.tiers.selectors.tiers): the
active policy's window and qualify_on, the ladder's thresholds, and the member's window metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from members.core.selectors.member_activity import (
    member_recent_orders,
    member_recent_reviews,
    member_tier_history,
)
from members.models import (
    ChurnScore,
    Member,
    MemberFeatures,
    SegmentMembership,
    SpendForecast,
    TierPolicy,
    TierQualifyOn,
)
from members.predictions.selectors.member_models import ChurnQuality, churn_quality
from members.tiers.selectors.tiers import tier_member_metrics, tier_thresholds

TIMELINE_LIMIT = 20  # per kind of event


@dataclass(frozen=True)
class NextTierProgress:
    tier_code: str
    tier_name: str
    next_tier_code: str | None
    next_tier_name: str | None
    window_days: int
    window_spend: Decimal
    window_orders: int
    spend_needed: Decimal  # 0 when already met (or no next tier)
    orders_needed: int
    either: bool  # spend_or_orders: meeting either figure is enough
    progress: float  # 0..1 towards the next tier (the better of the two figures when either will do)

    def as_json(self) -> dict:
        return {
            "tier": self.tier_code,
            "next_tier": self.next_tier_code,
            "window_days": self.window_days,
            "window_spend": str(self.window_spend),
            "window_orders": self.window_orders,
            "spend_needed": str(self.spend_needed),
            "orders_needed": self.orders_needed,
            "either_is_enough": self.either,
            "progress": round(self.progress, 3),
        }


def member_next_tier_progress(*, member: Member, as_of: date | None = None) -> NextTierProgress:
    """Three queries: the active policy, the ladder, the member's window metrics."""
    as_of = as_of or timezone.localdate()
    policy = (
        TierPolicy.objects.filter(is_active=True).first() or TierPolicy()
    )  # model defaults until one exists
    ladder = tier_thresholds()
    metrics = tier_member_metrics(
        as_of=as_of, window_days=policy.qualifying_window_days, member_ids=[member.pk]
    ).first()
    spend = metrics["window_spend"] if metrics else Decimal("0.00")
    orders = metrics["window_orders"] if metrics else 0
    current = next((t for t in ladder if t.tier_id == member.tier_id), ladder[0])
    higher = [t for t in ladder if t.rank > current.rank]
    nxt = higher[0] if higher else None
    either = policy.qualify_on == TierQualifyOn.SPEND_OR_ORDERS
    if nxt is None:
        return NextTierProgress(
            current.code,
            current.name,
            None,
            None,
            policy.qualifying_window_days,
            spend,
            orders,
            Decimal("0.00"),
            0,
            either,
            1.0,
        )
    spend_needed = max(nxt.min_spend - spend, Decimal("0.00"))
    orders_needed = max(nxt.min_orders - orders, 0)
    parts = [min(float(spend / nxt.min_spend), 1.0)] if nxt.min_spend else []
    parts += [min(orders / nxt.min_orders, 1.0)] if nxt.min_orders else []
    progress = (max(parts) if either else min(parts)) if parts else 1.0
    return NextTierProgress(
        current.code,
        current.name,
        nxt.code,
        nxt.name,
        policy.qualifying_window_days,
        spend,
        orders,
        spend_needed,
        orders_needed,
        either,
        progress,
    )


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # order, review, tier, segment
    title: str
    detail: str = ""
    obj: object = None


@dataclass
class MemberIntelligence:
    member: Member
    churn: ChurnScore | None
    forecast: SpendForecast | None
    next_tier: NextTierProgress
    segment_history: list[SegmentMembership] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    # The backtest quality of the churn model version that wrote `churn` (normally the active one).
    churn_quality: ChurnQuality | None = None


def member_get(*, external_id: str) -> Member:
    """The member with tier and segment joined; Member.DoesNotExist otherwise."""
    return Member.objects.select_related("tier", "segment").get(external_id=external_id)


def member_scores(*, member: Member) -> MemberIntelligence:
    """Latest churn score (with the model version that wrote it, joined), latest forecast, next-tier
    progress as of the latest of their dates: five queries (six for a member with no score yet)."""
    churn = (
        ChurnScore.objects.filter(member_id=member.pk)
        .select_related("model_version")
        .order_by("-as_of")
        .first()
    )
    forecast = SpendForecast.objects.filter(member_id=member.pk).order_by("-as_of").first()
    # Progress is read on the date of the latest refresh, like the scores beside it: after
    # `refresh_members --as-of D` (a backtest, a replay) it must not count orders placed after D.
    # Without scores (no model served yet) that is the member's newest feature snapshot (one more
    # query, only then); today when the member has never been refreshed.
    scored = [s.as_of for s in (churn, forecast) if s is not None]
    if not scored:
        scored = list(MemberFeatures.objects.filter(member_id=member.pk).order_by("-as_of")
                      .values_list("as_of", flat=True)[:1])  # fmt: skip
    return MemberIntelligence(
        member=member,
        churn=churn,
        forecast=forecast,
        next_tier=member_next_tier_progress(member=member, as_of=max(scored) if scored else None),
        churn_quality=churn_quality(metrics=churn.model_version.metrics) if churn else None,
    )


def member_intelligence(*, member: Member) -> MemberIntelligence:
    """Scores plus the timeline (orders, reviews, tier changes, segment changes; the latest
    TIMELINE_LIMIT of each, newest first): nine queries, whatever the member's history."""
    result = member_scores(member=member)
    tz = timezone.get_current_timezone()
    events = [
        TimelineEvent(
            o.placed_at, "order", f"Order {o.external_id}", f"{o.total} {o.currency} · {o.status}", o
        )
        for o in member_recent_orders(member_id=member.pk, limit=TIMELINE_LIMIT)
    ]
    events += [
        TimelineEvent(
            r.created_at,
            "review",
            f"Review of {r.product.title}",
            f"{r.rating}/5{' · ' + r.sentiment if r.sentiment else ''}: {r.title}",
            r,
        )
        for r in member_recent_reviews(member_id=member.pk, limit=TIMELINE_LIMIT)
    ]
    events += [
        TimelineEvent(
            c.created_at,
            "tier",
            f"Tier {c.from_tier.name if c.from_tier else '—'} → {c.to_tier.name}",
            f"{c.get_status_display()}: {c.reason}",
            c,
        )
        for c in member_tier_history(member_id=member.pk, limit=TIMELINE_LIMIT)
    ]
    history = list(
        SegmentMembership.objects.filter(member_id=member.pk)
        .select_related("segment")
        .order_by("-as_of")[:TIMELINE_LIMIT]
    )
    events += [
        TimelineEvent(
            datetime.combine(h.as_of, datetime.min.time(), tzinfo=tz),
            "segment",
            f"Segment: {h.segment.name if h.segment else 'none'}",
            "",
            h,
        )
        for h in history
    ]
    events.sort(key=lambda e: e.at, reverse=True)
    result.segment_history, result.timeline = history, events
    return result
