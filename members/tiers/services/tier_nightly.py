"""The tier evaluation as Celery runs it: nightly (beat) and after a policy is saved."""

from datetime import date

from members.models import TierPolicy
from members.tiers.services.tier_evaluation import tier_evaluation_run
from members.tiers.services.tier_warnings import tier_will_downgrade_publish


def tier_evaluation_with_warnings(*, as_of: date, policy_id: int | None = None, proposals_only: bool = False) -> dict:
    """Evaluate every member's tier as of `as_of` under policy `policy_id` (the active one when
    None), then publish the will-downgrade warnings; returns the figures of both."""
    policy = TierPolicy.objects.get(pk=policy_id) if policy_id else None
    result = tier_evaluation_run(as_of=as_of, policy=policy, proposals_only=proposals_only)
    warned = tier_will_downgrade_publish(as_of=as_of)
    return {**result.__dict__, "as_of": as_of.isoformat(), "will_downgrade_published": warned}
