"""Writes that move members between tiers. Every move is recorded as a TierChange.

One function moves members and announces it: `_members_move`. Manual changes, approved
proposals and upgrades an evaluation applies at once all go through it, so each applied change
updates the member the same way (tier, grace clock, lock) and publishes `tier.changed`.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from django.db import transaction
from django.utils import timezone

from members.models import Member, Tier, TierChange, TierChangeSource, TierChangeStatus
from members.tiers.services.tier_events import webhook_publish_tier_changes

# Members moved per transaction by a bulk manual change: bounds lock time and memory at 1M members.
MANUAL_CHANGE_BATCH_SIZE = 1_000
# Proposals decided per transaction by a bulk approve/reject.
DECISION_BATCH_SIZE = 500

_UNSET = object()


class TierChangeError(ValueError):
    """A tier change that cannot be made, with a reason a person can read."""


@dataclass
class TierDecisionResult:
    """What a bulk approve/reject did: ids decided, and a readable reason for each one refused."""

    decided: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def _required_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TierChangeError("A reason is required to change a member's tier.")
    return reason


def _members_move(*, changes: Sequence[TierChange], now, lock_until=_UNSET) -> None:
    """Apply saved, APPLIED `changes` to their members and publish `tier.changed` for them.

    Contract: call inside the transaction that saved the changes, holding the members' row locks.
    One UPDATE per target tier. Moving restarts the downgrade grace clock (the member is judged
    against the new tier from now on). `lock_until` (manual changes only) sets or clears the
    staff lock; other callers leave the lock alone. The webhook service writes the deliveries in
    this transaction and enqueues them on commit, so a rolled-back move announces nothing.
    """
    by_tier: dict[int, list[int]] = defaultdict(list)
    for change in changes:
        by_tier[change.to_tier_id].append(change.member_id)
    extra = {} if lock_until is _UNSET else {"tier_locked_until": lock_until}
    for to_tier_id, member_ids in by_tier.items():
        Member.objects.filter(pk__in=member_ids).update(
            tier_id=to_tier_id, tier_below_threshold_since=None, updated_at=now, **extra
        )
    webhook_publish_tier_changes(tier_changes=changes)


# ---- manual changes -----------------------------------------------------------------------------


@transaction.atomic
def tier_change_apply_manual(
    *, member_id: int, to_tier: Tier, reason: str, decided_by, lock_until: date | None = None
) -> TierChange | None:
    """Move one member to `to_tier` at once, on a staff user's authority (up or down).

    `lock_until` sets Member.tier_locked_until: evaluations skip the member through that day and
    judge them normally afterwards (a lock, never a silent floor). Returns the applied TierChange,
    or None when the member is already in that tier (nothing to record; the lock is still set).
    Locks the member row so two staff members cannot interleave changes.
    """
    reason = _required_reason(reason)
    member = Member.objects.select_for_update().get(pk=member_id)
    now = timezone.now()
    if member.tier_id == to_tier.pk:
        Member.objects.filter(pk=member.pk).update(tier_locked_until=lock_until, updated_at=now)
        return None
    change = TierChange.objects.create(
        member=member,
        from_tier_id=member.tier_id,
        to_tier=to_tier,
        reason=reason,
        metrics=_manual_metrics(lock_until),
        source=TierChangeSource.MANUAL,
        status=TierChangeStatus.APPLIED,
        decided_by=decided_by,
        decided_at=now,
    )
    _members_move(changes=[change], now=now, lock_until=lock_until)
    return change


def tier_change_apply_manual_many(
    *, member_ids: Iterable[int], to_tier: Tier, reason: str, decided_by, lock_until: date | None = None
) -> int:
    """Apply the same manual change to many members; returns how many actually moved.

    Up or down the ladder alike. Members already in `to_tier` are skipped and get no TierChange.
    Set-based: each batch of MANUAL_CHANGE_BATCH_SIZE ids is one transaction of a fixed number of
    queries (lock the rows, bulk-insert the applied TierChanges, update the members, publish the
    webhooks), so a batch is never half-recorded; earlier batches stay applied if a later one
    fails. `member_ids` may be a lazy iterator. Raises TierChangeError before touching anything
    when the reason is blank.
    """
    reason = _required_reason(reason)
    moved = 0
    for batch in _batches(member_ids, MANUAL_CHANGE_BATCH_SIZE):
        moved += _apply_manual_batch(
            member_ids=batch, to_tier=to_tier, reason=reason, decided_by=decided_by, lock_until=lock_until
        )
    return moved


@transaction.atomic
def _apply_manual_batch(*, member_ids: list[int], to_tier: Tier, reason: str, decided_by, lock_until) -> int:
    # Locking in id order means two overlapping bulk changes wait for each other instead of deadlocking.
    movers = list(
        Member.objects.select_for_update()
        .filter(pk__in=member_ids)
        .exclude(tier_id=to_tier.pk)
        .order_by("pk")
        .values_list("pk", "tier_id")
    )
    if not movers:
        return 0
    now = timezone.now()
    changes = TierChange.objects.bulk_create(
        TierChange(
            member_id=member_id,
            from_tier_id=from_tier_id,
            to_tier=to_tier,
            reason=reason,
            metrics=_manual_metrics(lock_until),
            source=TierChangeSource.MANUAL,
            status=TierChangeStatus.APPLIED,
            decided_by=decided_by,
            decided_at=now,
        )
        for member_id, from_tier_id in movers
    )
    _members_move(changes=changes, now=now, lock_until=lock_until)
    return len(movers)


def _manual_metrics(lock_until: date | None) -> dict:
    metrics: dict = {"set_by_staff": True}
    if lock_until:
        metrics["locked_until"] = lock_until.isoformat()
    return metrics


# ---- evaluation upgrades applied at once --------------------------------------------------------


def tier_changes_apply_evaluated(*, changes: Sequence[TierChange]) -> list[TierChange]:
    """Save unsaved evaluation upgrades as APPLIED and move their members (tier_evaluation's
    apply-immediately mode). Contract: call inside a transaction. Members whose tier is no longer
    the change's from_tier (staff moved them meanwhile) are skipped. Fixed query count."""
    if not changes:
        return []
    current = dict(
        Member.objects.select_for_update()
        .filter(pk__in=[c.member_id for c in changes])
        .order_by("pk")
        .values_list("pk", "tier_id")
    )
    now = timezone.now()
    fresh = [c for c in changes if current.get(c.member_id) == c.from_tier_id]
    for change in fresh:
        change.status, change.decided_at = TierChangeStatus.APPLIED, now
    saved = TierChange.objects.bulk_create(fresh)
    _members_move(changes=saved, now=now)
    return saved


# ---- deciding proposals -------------------------------------------------------------------------


def tier_change_approve(*, tier_change_id: int, decided_by) -> TierChange:
    """Apply one proposed change. Raises TierChangeError, saying why, when it cannot be applied:
    not a proposal any more, stale (the member's tier is no longer its from_tier), or the member's
    tier is locked by staff."""
    result = tier_change_approve_many(tier_change_ids=[tier_change_id], decided_by=decided_by)
    if tier_change_id in result.refused:
        raise TierChangeError(result.refused[tier_change_id])
    return TierChange.objects.get(pk=tier_change_id)


def tier_change_reject(*, tier_change_id: int, decided_by, reason: str = "") -> TierChange:
    """Reject one proposed change, keeping `reason` as the decision note. Raises TierChangeError
    when it is no longer a proposal."""
    result = tier_change_reject_many(tier_change_ids=[tier_change_id], decided_by=decided_by, reason=reason)
    if tier_change_id in result.refused:
        raise TierChangeError(result.refused[tier_change_id])
    return TierChange.objects.get(pk=tier_change_id)


def tier_change_approve_many(*, tier_change_ids: Iterable[int], decided_by) -> TierDecisionResult:
    """Approve many proposals; each batch of DECISION_BATCH_SIZE is one transaction of a fixed number
    of queries. Proposals that cannot be applied are refused (with a reason) and left as they are."""
    result = TierDecisionResult()
    for batch in _batches(tier_change_ids, DECISION_BATCH_SIZE):
        _approve_batch(ids=batch, decided_by=decided_by, result=result)
    return result


def tier_change_reject_many(
    *, tier_change_ids: Iterable[int], decided_by, reason: str = ""
) -> TierDecisionResult:
    """Reject many proposals in batches; ids that are not open proposals are refused with a reason."""
    result = TierDecisionResult()
    for batch in _batches(tier_change_ids, DECISION_BATCH_SIZE):
        with transaction.atomic():
            open_ids = set(
                TierChange.objects.select_for_update()
                .filter(pk__in=batch, status=TierChangeStatus.PROPOSED)
                .values_list("pk", flat=True)
            )
            TierChange.objects.filter(pk__in=open_ids).update(
                status=TierChangeStatus.REJECTED,
                decided_by=decided_by,
                decided_at=timezone.now(),
                decision_note=(reason or "").strip(),
            )
        result.decided.extend(sorted(open_ids))
        result.refused.update(
            {pk: "This change is no longer a proposal." for pk in batch if pk not in open_ids}
        )
    return result


@transaction.atomic
def _approve_batch(*, ids: list[int], decided_by, result: TierDecisionResult) -> None:
    proposals = list(
        TierChange.objects.select_for_update(of=("self", "member"))
        .select_related("member")
        .filter(pk__in=ids, status=TierChangeStatus.PROPOSED)
        .order_by("member_id", "pk")
    )
    found = {p.pk for p in proposals}
    result.refused.update({pk: "This change is no longer a proposal." for pk in ids if pk not in found})
    today = timezone.localdate()
    approved: list[TierChange] = []
    seen_members: set[int] = set()
    for proposal in proposals:
        member = proposal.member
        if member.tier_id != proposal.from_tier_id:
            result.refused[proposal.pk] = (
                f"Stale proposal: {member} is no longer in the tier this change starts from. "
                "Reject it; the next evaluation proposes a fresh change if one is due."
            )
        elif member.tier_locked_until and member.tier_locked_until >= today:
            result.refused[proposal.pk] = (
                f"{member}'s tier is locked by staff until {member.tier_locked_until}."
            )
        elif member.pk in seen_members:
            result.refused[proposal.pk] = f"Another change for {member} is approved in the same request."
        else:
            seen_members.add(member.pk)
            approved.append(proposal)
    if not approved:
        return
    now = timezone.now()
    TierChange.objects.filter(pk__in=[p.pk for p in approved]).update(
        status=TierChangeStatus.APPLIED, decided_by=decided_by, decided_at=now
    )
    for proposal in approved:
        proposal.status, proposal.decided_by, proposal.decided_at = TierChangeStatus.APPLIED, decided_by, now
    _members_move(changes=approved, now=now)
    result.decided.extend(p.pk for p in approved)


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(ids)
    while batch := list(islice(iterator, size)):
        yield batch
