"""webhook_delivery_attempt against a real HTTP receiver: what is sent, and what is recorded."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import WebhookDelivery, WebhookDeliveryStatus
from members.partners.models.webhook import WEBHOOK_RESPONSE_EXCERPT_BYTES
from members.partners.services.webhook_sending import webhook_signature
from members.partners.services.webhooks import webhook_delivery_attempt
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db


def test_receiver_gets_the_signed_json_body_and_headers(receiver, subscription):
    # The legacy header scheme (Standard Webhooks: tests/members/partners/webhooks/test_standard_signature.py).
    subscription.signature_scheme = "legacy"
    subscription.save()
    delivery = WebhookDeliveryFactory(
        subscription=subscription, payload={"to_tier": "gold", "metrics": {"n": 2}}
    )

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.outcome == "succeeded"
    [request] = receiver.requests
    assert request.path == "/hooks/memberhub?source=test"
    assert request.json == {"id": str(delivery.event_id), "event": "tier.changed", "data": delivery.payload}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-MemberHub-Event"] == "tier.changed"
    assert request.headers["X-MemberHub-Delivery"] == str(delivery.event_id)
    timestamp = int(request.headers["X-MemberHub-Timestamp"])
    assert abs(timestamp - timezone.now().timestamp()) < 60
    assert request.headers["X-MemberHub-Signature"] == webhook_signature(
        secret=subscription.secret, timestamp=timestamp, body=request.body
    )


def test_success_is_recorded_with_status_code_and_response_excerpt(receiver, subscription):
    receiver.status = 200
    receiver.response_body = b"x" * 5000
    delivery = WebhookDeliveryFactory(subscription=subscription)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.response_body == "x" * WEBHOOK_RESPONSE_EXCERPT_BYTES  # a short excerpt only (256 bytes)
    assert delivery.delivered_at is not None
    assert delivery.locked_until is None
    assert delivery.last_error == ""


def test_server_error_records_a_failure_and_schedules_a_backed_off_retry(
    receiver, subscription, webhook_settings
):
    receiver.status = 500
    receiver.response_body = b"database is down"
    delivery = WebhookDeliveryFactory(subscription=subscription)

    before = timezone.now()
    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert result.outcome == "failed"
    assert 60 <= result.retry_in <= 72  # base 60 s after the first attempt, + up to 20 % jitter
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.response_body == "database is down"
    assert (
        before + timedelta(seconds=60) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=72)
    )


def test_redirect_is_a_failure_and_is_not_followed(receiver, subscription):
    receiver.status = 302
    delivery = WebhookDeliveryFactory(subscription=subscription)

    assert webhook_delivery_attempt(delivery_id=delivery.pk).outcome == "failed"
    assert len(receiver.requests) == 1


def test_refused_connection_is_recorded_as_a_failure(db):
    delivery = WebhookDeliveryFactory(subscription__url="http://127.0.0.1:9/nobody-listens")

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert result.outcome == "failed"
    assert delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error


def test_duplicate_task_for_a_succeeded_delivery_sends_nothing(receiver, subscription):
    delivery = WebhookDeliveryFactory(subscription=subscription)
    webhook_delivery_attempt(delivery_id=delivery.pk)

    again = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert again.outcome == "skipped" and again.retry_in is None
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_delivery_claimed_by_another_worker_is_not_sent_but_looked_at_again_after_the_lease(
    receiver, subscription
):
    delivery = WebhookDeliveryFactory(subscription=subscription, attempts=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(locked_until=timezone.now() + timedelta(seconds=30))

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.outcome == "locked"
    assert 29 <= result.retry_in <= 32
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_expired_claim_of_a_crashed_worker_is_taken_over(receiver, subscription):
    delivery = WebhookDeliveryFactory(subscription=subscription, attempts=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(locked_until=timezone.now() - timedelta(seconds=1))

    assert webhook_delivery_attempt(delivery_id=delivery.pk).outcome == "succeeded"
    assert len(receiver.requests) == 1


def test_retry_that_is_not_due_yet_sends_nothing(receiver, subscription):
    delivery = WebhookDeliveryFactory(
        subscription=subscription,
        status=WebhookDeliveryStatus.FAILED,
        attempts=1,
        next_attempt_at=timezone.now() + timedelta(minutes=1),
    )

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert (result.outcome, result.retry_in) == ("skipped", None)
    assert receiver.requests == []


def test_last_failed_attempt_gives_the_delivery_up(receiver, subscription, webhook_settings):
    receiver.status = 503
    delivery = WebhookDeliveryFactory(subscription=subscription)

    outcomes = [webhook_delivery_attempt(delivery_id=delivery.pk).outcome]
    for _ in range(webhook_settings.WEBHOOK_MAX_ATTEMPTS - 1):
        # Time passes until the scheduled retry.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        outcomes.append(webhook_delivery_attempt(delivery_id=delivery.pk).outcome)

    assert outcomes == ["failed", "failed", "given_up"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("given_up", 3, None)
    assert {r.headers["X-MemberHub-Delivery"] for r in receiver.requests} == {str(delivery.event_id)}
    assert webhook_delivery_attempt(delivery_id=delivery.pk).outcome == "skipped"
    assert len(receiver.requests) == 3


def test_missing_delivery_is_skipped(db):
    assert webhook_delivery_attempt(delivery_id=987654).outcome == "skipped"


def test_body_is_compact_sorted_utf8_json(receiver, subscription):
    delivery = WebhookDeliveryFactory(
        subscription=subscription, event_id=uuid.UUID(int=1), payload={"b": "Zoë", "a": 1}
    )

    webhook_delivery_attempt(delivery_id=delivery.pk)

    body = receiver.requests[0].body
    assert (
        body
        == json.dumps(
            {"data": {"a": 1, "b": "Zoë"}, "event": "tier.changed", "id": str(uuid.UUID(int=1))},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
    )
