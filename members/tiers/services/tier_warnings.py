"""tier.will_downgrade: tell partners in advance that a member is about to lose their tier.

Sent at most once per member, tier and drop date (TierDowngradeWarning remembers what was
sent), so the daily evaluation can call this every day without repeating itself.
"""

from datetime import date

from django.db import transaction

from members.models import TierDowngradeWarning
from members.partners.models.webhook import WebhookEvent
from members.partners.services.webhooks import webhook_event_publish_many
from members.tiers.selectors.tiers import tier_members_about_to_lose
from members.tiers.services.tier_policy import tier_policy_active

TIER_WILL_DOWNGRADE_EVENT = WebhookEvent.TIER_WILL_DOWNGRADE
# How far ahead members are warned: a month leaves them time to place an order.
WILL_DOWNGRADE_HORIZON_DAYS = 30


def tier_will_downgrade_publish(*, as_of: date, horizon_days: int = WILL_DOWNGRADE_HORIZON_DAYS) -> int:
    """Publish tier.will_downgrade for members about to lose their tier within `horizon_days` who
    were not warned about that drop yet; returns how many events were published. Fixed number of
    queries."""
    policy = tier_policy_active()
    at_risk = tier_members_about_to_lose(
        as_of=as_of,
        horizon_days=horizon_days,
        window_days=policy.qualifying_window_days,
        qualify_on=policy.qualify_on,
    )
    if not at_risk:
        return 0
    sent = set(
        TierDowngradeWarning.objects.filter(member_id__in=[r.member_id for r in at_risk]).values_list(
            "member_id", "tier_id", "drop_date"
        )
    )
    fresh = [r for r in at_risk if (r.member_id, r.tier_id, r.drop_date) not in sent]
    if not fresh:
        return 0
    with transaction.atomic():
        TierDowngradeWarning.objects.bulk_create(
            [
                TierDowngradeWarning(member_id=r.member_id, tier_id=r.tier_id, drop_date=r.drop_date)
                for r in fresh
            ],
            ignore_conflicts=True,
        )
        webhook_event_publish_many(
            event=TIER_WILL_DOWNGRADE_EVENT,
            payloads=[
                {
                    "member_external_id": r.external_id,
                    "tier": r.tier_code,
                    "drop_date": r.drop_date.isoformat(),
                    "spend_needed": str(r.spend_needed),
                    "orders_needed": r.orders_needed,
                    "message": r.message,
                    "as_of": as_of.isoformat(),
                }
                for r in fresh
            ],
        )
    return len(fresh)
