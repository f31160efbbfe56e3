"""Manual redelivery sends the same event (same event id, same payload) again."""

import pytest

from members.models import WebhookDelivery, WebhookSubscription
from members.partners.services.webhooks import webhook_delivery_attempt, webhook_delivery_redeliver
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db


def test_redelivery_sends_the_same_event_id_again(receiver, subscription, django_capture_on_commit_callbacks):
    original = WebhookDeliveryFactory(subscription=subscription)
    webhook_delivery_attempt(delivery_id=original.pk)

    with django_capture_on_commit_callbacks(execute=True):
        [copy] = webhook_delivery_redeliver(delivery_ids=[original.pk])

    assert copy.pk != original.pk
    first, second = receiver.requests
    assert (
        first.headers["X-MemberHub-Delivery"]
        == second.headers["X-MemberHub-Delivery"]
        == str(original.event_id)
    )
    assert first.json == second.json
    copy.refresh_from_db()
    original.refresh_from_db()
    assert (copy.status, copy.attempts) == ("succeeded", 1)
    assert (original.status, original.attempts) == ("succeeded", 1)  # its record is kept as it was


def test_redelivery_skips_disabled_subscriptions(receiver, subscription, django_capture_on_commit_callbacks):
    delivery = WebhookDeliveryFactory(subscription=subscription, status="given_up", attempts=8)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_delivery_redeliver(delivery_ids=[delivery.pk]) == []

    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 1
