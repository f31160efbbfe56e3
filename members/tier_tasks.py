"""Celery tasks for tier management. members/tasks.py imports this module so the worker finds them.

Each task parses its arguments and calls one service; the services are idempotent (a re-run for
the same day refreshes proposals instead of adding them), so redelivery is harmless.
"""

from datetime import date

from celery import shared_task
from django.utils import timezone

from members.models import TierPolicy
from members.services.tier_evaluation import tier_evaluation_run, tier_recheck_member
from members.services.tier_warnings import tier_will_downgrade_publish


@shared_task(name="members.evaluate_tiers")
def evaluate_tiers(
    as_of: str | None = None, policy_id: int | None = None, proposals_only: bool = False
) -> dict:
    """The daily evaluation (celery beat, members/beat.py) and the one a policy save queues."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    policy = TierPolicy.objects.get(pk=policy_id) if policy_id else None
    result = tier_evaluation_run(as_of=day, policy=policy, proposals_only=proposals_only)
    warned = tier_will_downgrade_publish(as_of=day)
    return {**result.__dict__, "as_of": day.isoformat(), "will_downgrade_published": warned}


@shared_task(name="members.recheck_member_tier")
def recheck_member_tier(member_id: int) -> dict:
    """Queue after commit when one of the member's orders becomes returned or cancelled."""
    result = tier_recheck_member(member_id=member_id)
    return {**result.__dict__, "as_of": result.as_of.isoformat()}
