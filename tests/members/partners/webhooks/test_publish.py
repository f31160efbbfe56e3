"""Publishing: deliveries for subscribed active subscriptions only, sent only after commit."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from members.models import TierChange, WebhookDelivery, WebhookDeliveryStatus
from members.partners.services.webhooks import WebhookError, webhook_event_publish
from members.tiers.services.tier_changes import tier_change_apply_manual_many
from members.tiers.services.tier_events import webhook_publish_tier_changed, webhook_publish_tier_changes
from tests.factories import MemberFactory, TierChangeFactory, tier
from tests.members.partners.webhooks.conftest import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


def test_publish_creates_deliveries_only_for_active_subscriptions_to_the_event(db):
    first, second = WebhookSubscriptionFactory.create_batch(2)
    WebhookSubscriptionFactory(active=False)
    WebhookSubscriptionFactory(events=["review.scored"])  # an event not (yet) in the registry

    deliveries = webhook_event_publish(event="tier.changed", payload={"to_tier": "gold"})

    assert sorted(d.subscription_id for d in deliveries) == [first.pk, second.pk]
    assert len({d.event_id for d in deliveries}) == 1  # one event, one id for every subscription
    assert {d.status for d in deliveries} == {"pending"}


def test_subscription_without_the_event_gets_nothing(db):
    subscription = WebhookSubscriptionFactory(events=[])

    assert webhook_event_publish(event="tier.changed", payload={}) == []
    assert not WebhookDelivery.objects.filter(subscription=subscription).exists()


def test_publish_sends_nothing_until_the_transaction_commits(receiver, django_capture_on_commit_callbacks):
    WebhookSubscriptionFactory(url=receiver.url)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [delivery] = webhook_event_publish(event="tier.changed", payload={"to_tier": "gold"})
    assert receiver.requests == []
    assert len(callbacks) == 1

    callbacks[0]()  # the commit (tasks run eagerly in the test settings)

    assert [r.headers["X-MemberHub-Delivery"] for r in receiver.requests] == [str(delivery.event_id)]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED


def test_rolled_back_publish_sends_nothing(receiver, django_capture_on_commit_callbacks):
    WebhookSubscriptionFactory(url=receiver.url)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        webhook_event_publish(event="tier.changed", payload={})
        raise RuntimeError("the caller's transaction fails")

    assert callbacks == []
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_unknown_event_is_refused(db):
    with pytest.raises(WebhookError, match="Unknown webhook event 'tier.exploded'"):
        webhook_event_publish(event="tier.exploded", payload={})


def test_tier_changed_payload_describes_the_change(receiver, django_capture_on_commit_callbacks, staff_user):
    WebhookSubscriptionFactory(url=receiver.url)
    member = MemberFactory(external_id="C-10045", tier=tier("silver"))
    tier_change_apply_manual_many(
        member_ids=[member.pk], to_tier=tier("gold"), reason="Loyal", decided_by=staff_user
    )
    change = TierChange.objects.get(member=member)

    with django_capture_on_commit_callbacks(execute=True):
        webhook_publish_tier_changed(tier_change=change)

    [request] = receiver.requests
    assert request.headers["X-MemberHub-Event"] == "tier.changed"
    assert request.json["data"] == {
        "tier_change_id": change.pk,
        "member_external_id": "C-10045",
        "from_tier": "silver",
        "to_tier": "gold",
        "reason": "Loyal",
        "source": "manual",
        "status": "applied",
        "decided_at": change.decided_at.isoformat(),
        "metrics": {"set_by_staff": True},
    }


def test_only_applied_tier_changes_are_published(db):
    WebhookSubscriptionFactory()
    proposed = TierChangeFactory(status="proposed")

    assert webhook_publish_tier_changed(tier_change=proposed) == []


def test_publishing_many_tier_changes_takes_a_fixed_number_of_queries(db, staff_user):
    WebhookSubscriptionFactory.create_batch(2)
    members = MemberFactory.create_batch(30)
    tier_change_apply_manual_many(
        member_ids=[m.pk for m in members], to_tier=tier("gold"), reason="Campaign", decided_by=staff_user
    )
    changes = list(TierChange.objects.all())

    # 1 subscriptions, 2 member external ids, 3 tier codes, 4 the bulk insert of 60 deliveries.
    with CaptureQueriesContext(connection) as queries:
        deliveries = webhook_publish_tier_changes(tier_changes=changes)

    assert len(queries) == 4
    assert len(deliveries) == 60
    assert len({d.event_id for d in deliveries}) == 30


def test_tier_changes_cost_one_query_when_nobody_subscribes(db, staff_user):
    member = MemberFactory()
    tier_change_apply_manual_many(
        member_ids=[member.pk], to_tier=tier("gold"), reason="x", decided_by=staff_user
    )

    with CaptureQueriesContext(connection) as queries:
        assert webhook_publish_tier_changes(tier_changes=TierChange.objects.all()) == []

    # 1 the changes themselves (a lazy queryset here), 2 the subscriptions.
    assert len(queries) == 2
