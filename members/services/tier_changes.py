"""Writes that move members between tiers. Every move is recorded as a TierChange."""

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import transaction
from django.utils import timezone

from members.models import Member, Tier, TierChange, TierChangeSource, TierChangeStatus

# Members moved per transaction by a bulk manual change: bounds lock time and memory at 1M members.
MANUAL_CHANGE_BATCH_SIZE = 1_000


class TierChangeError(ValueError):
    """A tier change that cannot be made, with a reason a person can read."""


def _required_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TierChangeError("A reason is required to change a member's tier.")
    return reason


@transaction.atomic
def tier_change_apply_manual(*, member_id: int, to_tier: Tier, reason: str, decided_by) -> TierChange | None:
    """Move one member to `to_tier` at once, on a staff user's authority.

    Returns the applied TierChange, or None when the member is already in that tier (nothing to
    record). Locks the member row so two staff members cannot interleave changes.
    """
    reason = _required_reason(reason)
    member = Member.objects.select_for_update().get(pk=member_id)
    if member.tier_id == to_tier.pk:
        return None
    now = timezone.now()
    change = TierChange.objects.create(
        member=member,
        from_tier_id=member.tier_id,
        to_tier=to_tier,
        reason=reason,
        metrics={"set_by_staff": True},
        source=TierChangeSource.MANUAL,
        status=TierChangeStatus.APPLIED,
        decided_by=decided_by,
        decided_at=now,
    )
    Member.objects.filter(pk=member.pk).update(tier=to_tier, updated_at=now)
    return change


def tier_change_apply_manual_many(*, member_ids: Iterable[int], to_tier: Tier, reason: str, decided_by) -> int:
    """Apply the same manual change to many members; returns how many actually moved.

    Up or down the ladder alike. Members already in `to_tier` are skipped and get no TierChange.
    Set-based: each batch of MANUAL_CHANGE_BATCH_SIZE ids is one transaction of three queries
    (lock the rows, bulk-insert the applied TierChanges, update the members), so a batch is never
    half-recorded; earlier batches stay applied if a later one fails. `member_ids` may be a lazy
    iterator (e.g. a queryset's values_list(...).iterator()). Raises TierChangeError before touching
    anything when the reason is blank.
    """
    reason = _required_reason(reason)
    moved = 0
    for batch in _batches(member_ids, MANUAL_CHANGE_BATCH_SIZE):
        moved += _apply_manual_batch(member_ids=batch, to_tier=to_tier, reason=reason, decided_by=decided_by)
    return moved


@transaction.atomic
def _apply_manual_batch(*, member_ids: list[int], to_tier: Tier, reason: str, decided_by) -> int:
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
    TierChange.objects.bulk_create(
        TierChange(
            member_id=member_id,
            from_tier_id=from_tier_id,
            to_tier=to_tier,
            reason=reason,
            metrics={"set_by_staff": True},
            source=TierChangeSource.MANUAL,
            status=TierChangeStatus.APPLIED,
            decided_by=decided_by,
            decided_at=now,
        )
        for member_id, from_tier_id in movers
    )
    Member.objects.filter(pk__in=[member_id for member_id, _ in movers]).update(tier=to_tier, updated_at=now)
    return len(movers)


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(ids)
    while batch := list(islice(iterator, size)):
        yield batch
