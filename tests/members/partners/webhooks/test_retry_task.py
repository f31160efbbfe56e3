"""The backoff schedule, and the deliver_webhook task asking Celery for a retry with it."""

import random
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from members.models import WebhookDelivery, WebhookDeliveryStatus
from members.partners.services.webhooks import webhook_retry_countdown
from members.partners.tasks import deliver_webhook
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory


class _FixedRandom(random.Random):
    def __init__(self, value: float):
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(("attempt", "expected"), [(1, 60), (2, 120), (3, 240), (7, 3840)])
def test_countdown_doubles_after_each_failed_attempt(settings, attempt, expected):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    assert webhook_retry_countdown(attempt=attempt, rng=_FixedRandom(0.0)) == expected


def test_countdown_jitter_adds_at_most_a_fifth(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    assert webhook_retry_countdown(attempt=2, rng=_FixedRandom(0.999999)) == pytest.approx(144, abs=0.01)
    spread = {round(webhook_retry_countdown(attempt=2), 3) for _ in range(50)}
    assert len(spread) > 1 and all(120 <= value <= 144 for value in spread)


@pytest.mark.django_db
def test_task_retries_a_failed_delivery_with_the_stored_countdown(receiver, subscription, webhook_settings):
    receiver.status = 500
    delivery = WebhookDeliveryFactory(subscription=subscription)

    # As a worker runs it (not eagerly); retry() is where Celery would schedule the next run.
    with (
        mock.patch.object(deliver_webhook, "retry", side_effect=Retry("scheduled")) as retry,
        pytest.raises(Retry),
    ):
        deliver_webhook.run(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDeliveryStatus.FAILED, 1)
    assert len(receiver.requests) == 1
    countdown = retry.call_args.kwargs["countdown"]
    assert 60 <= countdown <= 72
    waited = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert countdown == pytest.approx(waited, abs=1)


@pytest.mark.django_db
def test_task_retries_a_delivery_another_worker_holds_once_its_lease_is_over(subscription):
    delivery = WebhookDeliveryFactory(subscription=subscription)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(locked_until=timezone.now() + timedelta(seconds=20))

    with (
        mock.patch.object(deliver_webhook, "retry", side_effect=Retry("scheduled")) as retry,
        pytest.raises(Retry),
    ):
        deliver_webhook.run(delivery.pk)

    assert 19 <= retry.call_args.kwargs["countdown"] <= 22


@pytest.mark.django_db
def test_eager_task_records_the_failure_without_an_immediate_retry(receiver, subscription, webhook_settings):
    receiver.status = 500
    delivery = WebhookDeliveryFactory(subscription=subscription)

    result = deliver_webhook.apply(args=[delivery.pk])

    report = result.get()
    assert (report["outcome"], report["attempts"]) == ("failed", 1)
    assert 60 <= report["retry_in"] <= 72
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_task_does_not_retry_a_success(receiver, subscription):
    delivery = WebhookDeliveryFactory(subscription=subscription)

    result = deliver_webhook.apply(args=[delivery.pk])

    assert result.get() == {"delivery_id": delivery.pk, "outcome": "succeeded", "attempts": 1}
    assert len(receiver.requests) == 1
