"""Reads behind the segments pages and API: sizes, trends, key stats, churn and sentiment mix,
sample members. Learned segments' members are Member.segment; a rule segment's are the members
whose latest feature snapshot matches its rule (members.segments.rules)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.utils import timezone

from members.models import ChurnScore, Member, MemberFeatures, Review, Segment, SegmentSnapshot
from members.segments.rules import latest_churn_as_of, segment_rule_describe, segment_rule_features

TREND_DAYS = 180  # the sparkline covers this many days of snapshots
TOP_CATEGORIES = 3
SAMPLE_MEMBERS = 3  # per segment on the list page
# Churn risk buckets (probability of no order in the next 90 days).
CHURN_MEDIUM, CHURN_HIGH = 0.3, 0.6


def segment_features_stats(*, features: QuerySet[MemberFeatures]) -> dict:
    """Size and key figures of a set of feature rows (one snapshot day): two queries."""
    row = features.aggregate(
        size=Count("id"),
        avg_orders_365=Avg("frequency_365"),
        avg_spend_365=Avg("monetary_365"),
        avg_recency_days=Avg("recency_days"),
        avg_order_value=Avg("avg_order_value"),
        negative_review_share=Avg("negative_review_share"),
        reviewers=Count("id", filter=Q(review_count__gt=0)),
    )
    ids_sql, params = features.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.key, sum(c.value::float) AS total
                FROM members_memberfeatures f CROSS JOIN LATERAL jsonb_each_text(f.category_shares) c
                WHERE f.id IN ({ids_sql}) GROUP BY c.key ORDER BY total DESC, c.key LIMIT %s""",
            [*params, TOP_CATEGORIES],
        )
        return _stats(row, cursor.fetchall())


_STATS_FIELDS = (
    "size", "avg_orders_365", "avg_spend_365", "avg_recency_days", "avg_order_value", "negative_review_share",
    "reviewers",
)  # fmt: skip


def learned_segments_features_stats(*, as_of: date, segment_ids: list[int]) -> dict[int, dict]:
    """segment_features_stats of each learned segment's members (Member.segment) on the snapshot of
    `as_of`, {segment id: stats}, in two grouped queries: one pass over the snapshot for all the
    segments, where a query pair per segment joined the whole snapshot again each time (at
    1,000,000 members). Segments without members get size 0."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT m.segment_id, count(f.id), avg(f.frequency_365), avg(f.monetary_365), avg(f.recency_days),
                   avg(f.avg_order_value), avg(f.negative_review_share), count(f.id) FILTER (WHERE f.review_count > 0)
               FROM members_memberfeatures f JOIN members_member m ON m.id = f.member_id
               WHERE f.as_of = %s AND m.segment_id = ANY(%s) GROUP BY m.segment_id""",
            [as_of, segment_ids],
        )
        aggregates = {r[0]: dict(zip(_STATS_FIELDS, r[1:], strict=True)) for r in cursor.fetchall()}
        cursor.execute(
            """SELECT segment_id, key, total FROM (
                   SELECT m.segment_id, c.key, sum(c.value::float) AS total,
                       row_number() OVER (PARTITION BY m.segment_id ORDER BY sum(c.value::float) DESC, c.key) AS n
                   FROM members_memberfeatures f JOIN members_member m ON m.id = f.member_id
                   CROSS JOIN LATERAL jsonb_each_text(f.category_shares) c
                   WHERE f.as_of = %s AND m.segment_id = ANY(%s) GROUP BY m.segment_id, c.key
               ) t WHERE n <= %s ORDER BY segment_id, n""",
            [as_of, segment_ids, TOP_CATEGORIES],
        )
        categories: dict[int, list] = defaultdict(list)
        for segment_id, key, total in cursor.fetchall():
            categories[segment_id].append((key, total))
    empty = dict.fromkeys(_STATS_FIELDS, None) | {"size": 0, "reviewers": 0}
    return {pk: _stats(aggregates.get(pk, empty), categories[pk]) for pk in segment_ids}


def _stats(row: dict, categories: list) -> dict:
    size = row["size"]

    def rounded(value, digits=1):
        return None if value is None else round(float(value), digits)

    return {
        "size": size,
        "avg_orders_365": rounded(row["avg_orders_365"]),
        "avg_spend_365": rounded(row["avg_spend_365"], 2),
        "avg_recency_days": rounded(row["avg_recency_days"]),
        "avg_order_value": rounded(row["avg_order_value"], 2),
        "negative_review_share": rounded(row["negative_review_share"], 3),
        "reviewers_share": round(row["reviewers"] / size, 3) if size else None,
        "top_categories": [[key, round(total / size, 3)] for key, total in categories] if size else [],
    }


def segment_get(*, segment_id: int) -> Segment:
    """An active segment by id; Segment.DoesNotExist otherwise."""
    return Segment.objects.get(pk=segment_id, active=True)


def segment_rule_get(*, segment_id: int) -> Segment:
    """An active rule segment by id (the only kind whose definition can be edited or archived);
    Segment.DoesNotExist otherwise, learned segments included."""
    return Segment.objects.get(pk=segment_id, active=True, kind=Segment.Kind.RULE)


def segment_api_queryset() -> QuerySet[Segment]:
    """Active segments with their snapshots prefetched newest first as `latest_snapshots` (two queries)."""
    return Segment.objects.filter(active=True).prefetch_related(
        Prefetch("snapshots", queryset=SegmentSnapshot.objects.order_by("-as_of"), to_attr="latest_snapshots")
    )


def segment_members_queryset(*, segment: Segment) -> QuerySet[Member]:
    """The segment's members (for learned ones Member.segment, for rule ones the latest snapshot's
    matches), with tier joined; unordered (callers order or paginate)."""
    members = Member.objects.select_related("tier", "segment")
    if segment.kind == Segment.Kind.LEARNED:
        return members.filter(segment_id=segment.pk)
    return members.filter(pk__in=segment_rule_features(definition=segment.rule).values("member_id"))


@dataclass
class SegmentCard:
    segment: Segment
    size: int | None
    stats: dict
    trend: list[tuple[date, int]]
    churn_mix: dict[str, int] = field(default_factory=dict)
    sentiment_mix: dict[str, int] = field(default_factory=dict)
    sample_members: list[Member] = field(default_factory=list)
    rule_text: str = ""

    @property
    def churn_total(self) -> int:
        return sum(self.churn_mix.values())

    @property
    def sentiment_total(self) -> int:
        return sum(self.sentiment_mix.values())


def _trends(segment_ids: list[int], *, today: date) -> dict[int, list[SegmentSnapshot]]:
    snapshots = SegmentSnapshot.objects.filter(
        segment_id__in=segment_ids, as_of__gte=today - timedelta(days=TREND_DAYS)
    )
    out: dict[int, list[SegmentSnapshot]] = defaultdict(list)
    for snap in snapshots.order_by("segment_id", "as_of"):
        out[snap.segment_id].append(snap)
    return out


def segment_cards(*, today: date | None = None) -> list[SegmentCard]:
    """Every active segment, learned first then rule, largest first, with its latest snapshot's size
    and stats, trend, and (learned) churn mix, sentiment mix and sample members. Five queries."""
    today = today or timezone.localdate()
    segments = list(Segment.objects.filter(active=True))
    ids = [s.pk for s in segments]
    trends = _trends(ids, today=today)
    churn = _churn_mix_by_segment()
    sentiment = _sentiment_mix_by_segment()
    samples = _sample_members(per_segment=SAMPLE_MEMBERS)
    cards = []
    for segment in segments:
        snaps = trends.get(segment.pk, [])
        latest = snaps[-1] if snaps else None
        cards.append(
            SegmentCard(
                segment=segment,
                size=latest.size if latest else None,
                stats=latest.stats if latest else {},
                trend=[(s.as_of, s.size) for s in snaps],
                churn_mix=churn.get(segment.pk, {}),
                sentiment_mix=sentiment.get(segment.pk, {}),
                sample_members=samples.get(segment.pk, []),
                rule_text=segment_rule_describe(segment.rule)
                if segment.kind == Segment.Kind.RULE and segment.rule
                else "",
            )
        )
    cards.sort(key=lambda c: (c.segment.kind != Segment.Kind.LEARNED, -(c.size or 0), c.segment.name))
    return cards


def _churn_buckets() -> dict:
    return {
        "low": Count("id", filter=Q(probability__lt=CHURN_MEDIUM)),
        "medium": Count("id", filter=Q(probability__gte=CHURN_MEDIUM, probability__lt=CHURN_HIGH)),
        "high": Count("id", filter=Q(probability__gte=CHURN_HIGH)),
    }


def _churn_mix_by_segment() -> dict[int, dict[str, int]]:
    # The latest scoring day is a subquery, not a separate round trip.
    latest = ChurnScore.objects.order_by("-as_of").values("as_of")[:1]
    rows = (
        ChurnScore.objects.filter(as_of=latest, member__segment__isnull=False)
        .values("member__segment_id")
        .annotate(**_churn_buckets())
        .order_by()
    )
    return {r["member__segment_id"]: {k: r[k] for k in ("low", "medium", "high")} for r in rows}


def _sentiment_mix_by_segment() -> dict[int, dict[str, int]]:
    rows = (
        Review.objects.filter(member__segment__isnull=False)
        .exclude(sentiment="")
        .values("member__segment_id", "sentiment")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for r in rows:
        out[r["member__segment_id"]][r["sentiment"]] = r["n"]
    return out


def _sample_members(*, per_segment: int) -> dict[int, list[Member]]:
    """The most recently joined members of each learned segment (one windowed query)."""
    members = Member.objects.raw(
        """SELECT * FROM (
               SELECT m.*, row_number() OVER (PARTITION BY m.segment_id ORDER BY m.joined_at DESC, m.id DESC) AS rn
               FROM members_member m WHERE m.segment_id IS NOT NULL) x
           WHERE rn <= %s ORDER BY segment_id, rn""",
        [per_segment],
    )
    out: dict[int, list[Member]] = defaultdict(list)
    for member in members:
        out[member.segment_id].append(member)
    return out


def segment_card(*, segment: Segment, sample_size: int = 20, today: date | None = None) -> SegmentCard:
    """One segment with its live size and stats on the latest snapshot, trend, churn and sentiment
    mix, and a sample of members. Seven queries for a learned segment, nine for a rule one."""
    today = today or timezone.localdate()
    if segment.kind == Segment.Kind.LEARNED:
        features = MemberFeatures.objects.filter(member__segment_id=segment.pk)
        as_of = features.order_by("-as_of").values_list("as_of", flat=True).first()
        features = features.filter(as_of=as_of)
        member_ids = Member.objects.filter(segment_id=segment.pk).values("id")
    else:
        features = segment_rule_features(definition=segment.rule)
        member_ids = features.values("member_id")
    stats = segment_features_stats(features=features)
    churn_as_of = latest_churn_as_of()
    churn = ChurnScore.objects.filter(as_of=churn_as_of, member_id__in=member_ids).aggregate(
        **_churn_buckets()
    )
    sentiment = dict(
        Review.objects.filter(member_id__in=member_ids)
        .exclude(sentiment="")
        .values_list("sentiment")
        .annotate(n=Count("id"))
        .order_by()
    )
    members = list(segment_members_queryset(segment=segment).order_by("-joined_at", "-id")[:sample_size])
    trend = [(s.as_of, s.size) for s in _trends([segment.pk], today=today).get(segment.pk, [])]
    return SegmentCard(
        segment=segment,
        size=stats["size"],
        stats=stats,
        trend=trend,
        churn_mix=churn,
        sentiment_mix=sentiment,
        sample_members=members,
        rule_text=segment_rule_describe(segment.rule)
        if segment.kind == Segment.Kind.RULE and segment.rule
        else "",
    )
