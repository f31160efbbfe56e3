"""The `tier.changed` webhook: what a partner is told when a member's tier changes (docs/webhooks.md)."""

from collections.abc import Iterable

from members.models import Member, Tier, TierChange, TierChangeStatus
from members.partners.models.webhook import WebhookEvent
from members.partners.services.webhooks import webhook_event_publish_many, webhook_subscription_ids


def webhook_publish_tier_changed(*, tier_change: TierChange) -> list:
    """Publish `tier.changed` for one applied TierChange (anything else is ignored). Call it inside
    the transaction that applies the change: delivery starts only once that commits."""
    return webhook_publish_tier_changes(tier_changes=[tier_change])


def webhook_publish_tier_changes(*, tier_changes: Iterable[TierChange]) -> list:
    """Publish `tier.changed` for each applied change in `tier_changes` (e.g. a bulk_create result).

    Four queries whatever the number of changes: subscriptions, member external ids, tier codes,
    and the bulk insert (one per DELIVERY_BATCH_SIZE deliveries). Nothing is queried beyond the
    subscriptions when nobody subscribes.
    """
    applied = [c for c in tier_changes if c.status == TierChangeStatus.APPLIED]
    if not applied:
        return []
    subscription_ids = webhook_subscription_ids(event=WebhookEvent.TIER_CHANGED)
    if not subscription_ids:
        return []
    external_ids = dict(
        Member.objects.filter(pk__in={c.member_id for c in applied}).values_list("pk", "external_id")
    )
    tier_ids = {c.to_tier_id for c in applied} | {c.from_tier_id for c in applied if c.from_tier_id}
    tier_codes = dict(Tier.objects.filter(pk__in=tier_ids).values_list("pk", "code"))
    payloads = [
        {
            "tier_change_id": change.pk,
            "member_external_id": external_ids[change.member_id],
            "from_tier": tier_codes.get(change.from_tier_id),
            "to_tier": tier_codes[change.to_tier_id],
            "reason": change.reason,
            "source": change.source,
            "status": change.status,
            "decided_at": change.decided_at.isoformat() if change.decided_at else None,
            "metrics": change.metrics or {},
        }
        for change in applied
    ]
    return webhook_event_publish_many(event=WebhookEvent.TIER_CHANGED, payloads=payloads, subscription_ids=subscription_ids)
