"""Celery tasks for tier management. Registered by memberhub/celery.py.

Each task parses its arguments and calls one service; the services are idempotent (a re-run for
the same day refreshes proposals instead of adding them), so redelivery is harmless.
"""

from datetime import date

from celery import shared_task
from django.utils import timezone

from members.tiers.services.tier_evaluation import tier_recheck_member
from members.tiers.services.tier_nightly import tier_evaluation_with_warnings


@shared_task(name="members.tiers.evaluate")
def evaluate_tiers(
    as_of: str | None = None, policy_id: int | None = None, proposals_only: bool = False
) -> dict:
    """The daily evaluation (celery beat, memberhub/celery_settings.py) and the one a policy save queues."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    return tier_evaluation_with_warnings(as_of=day, policy_id=policy_id, proposals_only=proposals_only)


@shared_task(name="members.tiers.recheck_member")
def recheck_member_tier(member_id: int) -> dict:
    """Queue after commit when one of the member's orders becomes returned or cancelled."""
    result = tier_recheck_member(member_id=member_id)
    return {**result.__dict__, "as_of": result.as_of.isoformat()}
