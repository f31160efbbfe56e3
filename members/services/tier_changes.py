"""Writes that move members between tiers. Every move is recorded as a TierChange."""

from django.db import transaction
from django.utils import timezone

from members.models import Member, Tier, TierChange, TierChangeSource, TierChangeStatus


class TierChangeError(ValueError):
    """A tier change that cannot be made, with a reason a person can read."""


@transaction.atomic
def tier_change_apply_manual(*, member_id: int, to_tier: Tier, reason: str, decided_by) -> TierChange | None:
    """Move one member to `to_tier` at once, on a staff user's authority.

    Returns the applied TierChange, or None when the member is already in that tier (nothing to
    record). Locks the member row so two staff members cannot interleave changes.
    """
    reason = (reason or "").strip()
    if not reason:
        raise TierChangeError("A reason is required to change a member's tier.")
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


def tier_change_apply_manual_many(*, member_ids, to_tier: Tier, reason: str, decided_by) -> int:
    """Apply the same manual change to several members; returns how many actually moved."""
    moved = 0
    for member_id in member_ids:
        if tier_change_apply_manual(member_id=member_id, to_tier=to_tier, reason=reason, decided_by=decided_by):
            moved += 1
    return moved
