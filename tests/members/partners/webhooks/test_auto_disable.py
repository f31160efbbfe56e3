"""Subscriptions are disabled after repeated given-up deliveries, and re-enabled by staff."""

import pytest

from members.models import WebhookDeliveryStatus, WebhookSubscription
from members.partners.services.webhooks import webhook_delivery_attempt, webhook_subscription_enable
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_attempt_each(webhook_settings):
    webhook_settings.WEBHOOK_MAX_ATTEMPTS = 1  # every failed delivery is given up at once
    return webhook_settings


def test_subscription_is_disabled_after_the_threshold_of_given_up_deliveries(
    receiver, subscription, one_attempt_each
):
    receiver.status = 500
    first, second = WebhookDeliveryFactory.create_batch(2, subscription=subscription)

    webhook_delivery_attempt(delivery_id=first.pk)
    subscription.refresh_from_db()
    assert (subscription.active, subscription.consecutive_failures) == (True, 1)

    webhook_delivery_attempt(delivery_id=second.pk)
    subscription.refresh_from_db()
    assert subscription.active is False
    assert subscription.consecutive_failures == 2
    assert subscription.disabled_at is not None
    assert "2 deliveries in a row were given up" in subscription.disabled_reason
    assert "HTTP 500" in subscription.disabled_reason


def test_disabled_subscription_gives_up_waiting_deliveries_without_sending(
    receiver, subscription, one_attempt_each
):
    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False)
    delivery = WebhookDeliveryFactory(subscription=subscription)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert result.outcome == "given_up"
    assert delivery.status == WebhookDeliveryStatus.GIVEN_UP
    assert delivery.attempts == 0
    assert "disabled" in delivery.last_error
    assert receiver.requests == []
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0  # not the receiver's failure


def test_failed_attempts_that_are_retried_do_not_count_towards_disabling(
    receiver, subscription, webhook_settings
):
    receiver.status = 500
    for delivery in WebhookDeliveryFactory.create_batch(3, subscription=subscription):
        assert webhook_delivery_attempt(delivery_id=delivery.pk).outcome == "failed"

    subscription.refresh_from_db()
    assert (subscription.active, subscription.consecutive_failures) == (True, 0)


def test_success_resets_consecutive_failures(receiver, subscription, one_attempt_each):
    receiver.statuses = [500, 200]
    failing, succeeding = WebhookDeliveryFactory.create_batch(2, subscription=subscription)

    webhook_delivery_attempt(delivery_id=failing.pk)
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1

    webhook_delivery_attempt(delivery_id=succeeding.pk)
    subscription.refresh_from_db()
    assert (subscription.active, subscription.consecutive_failures) == (True, 0)


def test_re_enable_clears_the_disabled_state(subscription):
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        active=False, consecutive_failures=5, disabled_reason="Disabled automatically"
    )

    assert webhook_subscription_enable(subscription_ids=[subscription.pk]) == 1

    subscription.refresh_from_db()
    assert subscription.active is True
    assert subscription.consecutive_failures == 0
    assert (subscription.disabled_at, subscription.disabled_reason) == (None, "")
    assert webhook_subscription_enable(subscription_ids=[subscription.pk]) == 0
