"""The tier evaluation: compare every active member's window metrics with the ladder and write
TierChange proposals (or apply upgrades at once) with the figures behind them.

Rules (docs/tiers.md explains them for staff):
- Qualification as in members.tiers.selectors.tiers (window, AND/OR thresholds).
- Upgrade: straight to the qualifying tier; applied at once when the policy says so, otherwise
  proposed. A policy save's evaluation (`proposals_only`) always proposes.
- Downgrade: a member below their tier starts a grace clock (Member.tier_below_threshold_since);
  once below for `downgrade_grace_days` days a downgrade of ONE level is proposed, never applied.
  Meeting the tier again stops the clock. An applied change restarts it.
- Locked members (Member.tier_locked_until >= as_of) are skipped; from the day after, normal rules.
- Idempotent: a member has at most one open evaluation proposal. Re-running for the same day
  refreshes it in place (a partial unique index backs this); a proposal the figures no longer
  support is withdrawn, and a different target replaces it.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from members.models import (
    Member,
    TierChange,
    TierChangeSource,
    TierChangeStatus,
    TierPolicy,
    TierUpgradesMode,
)
from members.tiers.selectors.tiers import (
    TierThreshold,
    tier_member_metrics,
    tier_member_metrics_from_snapshot,
    tier_qualifying_rank,
    tier_thresholds,
    tier_window,
)
from members.tiers.services.tier_changes import tier_changes_apply_evaluated
from members.tiers.services.tier_policy import tier_policy_active

# Members decided per transaction: a batch is a fixed handful of queries however many members move.
EVALUATION_BATCH_SIZE = 2_000


@dataclass
class TierEvaluationResult:
    as_of: date
    policy_version: int
    members_considered: int = 0  # members whose figures called for a look (not every active member)
    upgrades_applied: int = 0
    upgrades_proposed: int = 0
    downgrades_proposed: int = 0
    proposals_refreshed: int = 0
    proposals_withdrawn: int = 0
    grace_started: int = 0
    grace_cleared: int = 0
    locked_skipped: int = 0
    notes: list[str] = field(default_factory=list)


def tier_evaluation_run(
    *,
    as_of: date,
    policy: TierPolicy | None = None,
    member_ids: Iterable[int] | None = None,
    proposals_only: bool = False,
    ignore_grace: bool = False,
    from_snapshot: bool = False,
) -> TierEvaluationResult:
    """Evaluate active members (all, or `member_ids`) as of `as_of` under `policy` (default: active).

    One aggregate query (LEFT JOIN orders, GROUP BY member, the qualifying rank as a CASE) returns
    only members needing a look: qualifying elsewhere than their tier, in a grace period, or
    holding an open evaluation proposal. Those rows are streamed and decided in batches of
    EVALUATION_BATCH_SIZE, each one transaction of bulk statements. `ignore_grace` proposes a
    downgrade without waiting (a returned/cancelled order re-check). `from_snapshot` (the nightly
    refresh, right after the features step) reads the window metrics from the MemberFeatures
    snapshot of `as_of` when it covers the same window (tier_member_metrics_from_snapshot).
    """
    policy = policy or tier_policy_active()
    ladder = tier_thresholds()
    result = TierEvaluationResult(as_of=as_of, policy_version=policy.version)
    if not ladder:
        result.notes.append("No tiers defined.")
        return result
    open_proposal = TierChange.objects.filter(
        member=OuterRef("pk"), status=TierChangeStatus.PROPOSED, source=TierChangeSource.EVALUATION
    )
    metrics = None
    if from_snapshot and member_ids is None:
        metrics = tier_member_metrics_from_snapshot(as_of=as_of, window_days=policy.qualifying_window_days)
    if metrics is None:
        metrics = tier_member_metrics(as_of=as_of, window_days=policy.qualifying_window_days, member_ids=member_ids)
    rows = (
        metrics.annotate(
            qualifying_rank=tier_qualifying_rank(ladder, qualify_on=policy.qualify_on),
            has_open=Exists(open_proposal),
        )
        .filter(
            ~Q(qualifying_rank=F("tier__rank"))
            | Q(tier_below_threshold_since__isnull=False)
            | Q(has_open=True)
        )
        .order_by("pk")
    )
    context = _Context(
        policy=policy, ladder=ladder, as_of=as_of, proposals_only=proposals_only, ignore_grace=ignore_grace
    )
    batch: list[dict] = []
    for row in rows.iterator(chunk_size=EVALUATION_BATCH_SIZE):
        batch.append(row)
        if len(batch) == EVALUATION_BATCH_SIZE:
            _decide_batch(batch, context, result)
            batch = []
    if batch:
        _decide_batch(batch, context, result)
    return result


def tier_recheck_member(*, member_id: int, as_of: date | None = None) -> TierEvaluationResult:
    """Re-evaluate one member after an order of theirs was returned or cancelled.

    Same rules as the nightly run, except the grace period: spend that was given back never
    counted, so a member who now falls below their tier gets a downgrade proposal at once (still a
    proposal for staff to approve). An upgrade the figures still support is left as it is.
    """
    return tier_evaluation_run(as_of=as_of or timezone.localdate(), member_ids=[member_id], ignore_grace=True)


# ---- deciding -----------------------------------------------------------------------------------


@dataclass
class _Context:
    policy: TierPolicy
    ladder: list[TierThreshold]
    as_of: date
    proposals_only: bool
    ignore_grace: bool

    def __post_init__(self):
        self.by_rank = {t.rank: t for t in self.ladder}
        self.by_id = {t.tier_id: t for t in self.ladder}
        self.ranks = [t.rank for t in self.ladder]
        start, _ = tier_window(as_of=self.as_of, window_days=self.policy.qualifying_window_days)
        self.window_start = timezone.localtime(start).date()

    def one_level_down(self, rank: int) -> TierThreshold:
        return self.by_rank[max(r for r in self.ranks if r < rank)]


@transaction.atomic
def _decide_batch(rows: list[dict], ctx: _Context, result: TierEvaluationResult) -> None:
    result.members_considered += len(rows)
    open_rows = (
        list(
            TierChange.objects.filter(
                member_id__in=[r["pk"] for r in rows if r["has_open"]],
                status=TierChangeStatus.PROPOSED,
                source=TierChangeSource.EVALUATION,
            )
            .order_by("member_id", "pk")
            .values("pk", "member_id", "from_tier_id", "to_tier_id")
        )
        if any(r["has_open"] for r in rows)
        else []
    )
    # The newest open proposal per member may be kept; every other open one is withdrawn below.
    open_by_member = {p["member_id"]: p for p in open_rows}
    keep: set[int] = set()
    refresh: list[TierChange] = []
    create: list[TierChange] = []
    apply_now: list[TierChange] = []
    start_grace: list[int] = []
    clear_grace: list[int] = []
    for row in rows:
        member_id, rank, q_rank = row["pk"], row["tier__rank"], row["qualifying_rank"]
        since = row["tier_below_threshold_since"]
        if row["tier_locked_until"] and row["tier_locked_until"] >= ctx.as_of:
            result.locked_skipped += 1
            continue
        target, kind = None, None
        if q_rank >= rank and since is not None:
            clear_grace.append(member_id)
        if q_rank > rank:
            target, kind = ctx.by_rank[q_rank], "upgrade"
        elif q_rank < rank:
            if since is None:
                since = ctx.as_of
                start_grace.append(member_id)
            if ctx.ignore_grace or (ctx.as_of - since).days >= ctx.policy.downgrade_grace_days:
                target, kind = ctx.one_level_down(rank), "downgrade"
        if target is None:
            continue
        current = ctx.by_id[row["tier_id"]]
        change = TierChange(
            member_id=member_id,
            from_tier_id=current.tier_id,
            to_tier_id=target.tier_id,
            reason=_reason(kind, row, current, target, since, ctx),
            metrics=_metrics(row, current, target, since, ctx),
            source=TierChangeSource.EVALUATION,
            status=TierChangeStatus.PROPOSED,
            as_of=ctx.as_of,
            policy=ctx.policy,
        )
        existing = open_by_member.get(member_id)
        if (
            kind == "upgrade"
            and ctx.policy.upgrades_mode == TierUpgradesMode.APPLY_IMMEDIATELY
            and not ctx.proposals_only
        ):
            apply_now.append(change)
        elif existing and (existing["from_tier_id"], existing["to_tier_id"]) == (
            current.tier_id,
            target.tier_id,
        ):
            change.pk = existing["pk"]
            keep.add(existing["pk"])
            refresh.append(change)
        else:
            create.append(change)
            result.upgrades_proposed += kind == "upgrade"
            result.downgrades_proposed += kind == "downgrade"
    withdraw = [p["pk"] for p in open_rows if p["pk"] not in keep]
    if withdraw:
        result.proposals_withdrawn += TierChange.objects.filter(
            pk__in=withdraw, status=TierChangeStatus.PROPOSED
        ).update(
            status=TierChangeStatus.WITHDRAWN,
            decided_at=timezone.now(),
            decision_note=f"Withdrawn by the evaluation of {ctx.as_of.isoformat()}.",
        )
    if refresh:
        result.proposals_refreshed += _proposals_refresh(refresh, ctx)
    if create:
        TierChange.objects.bulk_create(create)
    if apply_now:
        result.upgrades_applied += len(tier_changes_apply_evaluated(changes=apply_now))
    if start_grace:
        Member.objects.filter(pk__in=start_grace).update(tier_below_threshold_since=ctx.as_of)
        result.grace_started += len(start_grace)
    if clear_grace:
        Member.objects.filter(pk__in=clear_grace).update(tier_below_threshold_since=None)
        result.grace_cleared += len(clear_grace)


def _proposals_refresh(changes: list[TierChange], ctx: _Context) -> int:
    """Rewrite the reason, figures, date and policy of open proposals that still stand, in one
    UPDATE ... FROM unnest(arrays). Not bulk_update: it writes a CASE WHEN id = ... per row and
    field, which Postgres walks for every row (at 1,000,000 members a re-run spent 2 minutes there)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TierChange._meta.db_table} c"
            " SET reason = v.reason, metrics = v.metrics::jsonb, as_of = %s, policy_id = %s"
            " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, reason, metrics) WHERE c.id = v.id",
            [
                ctx.as_of,
                ctx.policy.pk,
                [c.pk for c in changes],
                [c.reason for c in changes],
                [json.dumps(c.metrics) for c in changes],
            ],
        )
        return cursor.rowcount


def _money(value) -> str:
    return f"{Decimal(value):,.2f}"


def _needs(t: TierThreshold, ctx: _Context) -> str:
    joiner = " or " if ctx.policy.qualify_on == "spend_or_orders" else " and "
    return f"{t.name} needs {_money(t.min_spend)}{joiner}{t.min_orders} orders"


def _reason(kind, row, current, target, since, ctx: _Context) -> str:
    figures = (
        f"spend {_money(row['window_spend'])} and {row['window_orders']} orders "
        f"in the last {ctx.policy.qualifying_window_days} days"
    )
    if kind == "upgrade":
        return f"Qualifies for {target.name}: {figures} ({_needs(target, ctx)})."
    waited = (
        "re-checked after a returned or cancelled order"
        if ctx.ignore_grace
        else (f"grace period {ctx.policy.downgrade_grace_days} days")
    )
    return f"Below {current.name} since {since.isoformat()} ({waited}): {figures} ({_needs(current, ctx)})."


def _metrics(row, current, target, since, ctx: _Context) -> dict:
    return {
        "spend": str(Decimal(row["window_spend"]).quantize(Decimal("0.01"))),
        "orders": row["window_orders"],
        "window_days": ctx.policy.qualifying_window_days,
        "window_start": ctx.window_start.isoformat(),
        "as_of": ctx.as_of.isoformat(),
        "qualify_on": ctx.policy.qualify_on,
        "policy_version": ctx.policy.version,
        "qualifying_tier": ctx.by_rank[row["qualifying_rank"]].code,
        "below_threshold_since": since.isoformat() if since else None,
        "thresholds": {"from": current.as_json(), "to": target.as_json()},
    }
