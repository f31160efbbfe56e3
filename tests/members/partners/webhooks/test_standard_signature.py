"""Deliveries are signed per Standard Webhooks: the reference `standardwebhooks` verifier accepts
them; the legacy header stays for subscriptions that chose it (every pre-existing one)."""

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from members.partners.models.webhook import WebhookSignatureScheme, generate_webhook_secret
from members.partners.services.webhook_sending import webhook_signature
from members.partners.services.webhook_signing import (
    WebhookSecretError,
    standard_secret_key,
    standard_webhook_headers,
)
from members.partners.services.webhooks import webhook_delivery_attempt
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory, WebhookSubscriptionFactory


def test_a_delivery_verifies_with_the_standardwebhooks_library(receiver, subscription):
    assert subscription.signature_scheme == WebhookSignatureScheme.STANDARD  # the default for new ones
    delivery = WebhookDeliveryFactory(subscription=subscription, payload={"to_tier": "gold", "name": "Zoë"})

    assert webhook_delivery_attempt(delivery_id=delivery.pk).outcome == "succeeded"

    [request] = receiver.requests
    payload = Webhook(subscription.secret).verify(request.body, request.headers)
    assert payload == {"id": str(delivery.event_id), "event": "tier.changed", "data": delivery.payload}
    assert request.headers["webhook-id"] == str(delivery.event_id)
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert "X-MemberHub-Signature" not in request.headers


def test_the_library_rejects_a_tampered_body_or_a_wrong_secret(receiver, subscription):
    delivery = WebhookDeliveryFactory(subscription=subscription)
    webhook_delivery_attempt(delivery_id=delivery.pk)
    [request] = receiver.requests

    with pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(request.body.replace(b"tier", b"teir"), request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_webhook_secret()).verify(request.body, request.headers)


def test_signature_matches_the_specification_computed_by_hand():
    """Independent of the library: v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))."""
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    body = b'{"a":1}'
    headers = standard_webhook_headers(secret=secret, message_id="msg_1", timestamp=1700000000, body=body)
    expected = base64.b64encode(hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()).decode()
    assert headers == {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": f"v1,{expected}",
    }


def test_legacy_subscriptions_keep_the_memberhub_header(receiver, subscription):
    subscription.signature_scheme = WebhookSignatureScheme.LEGACY
    subscription.save()
    delivery = WebhookDeliveryFactory(subscription=subscription)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    [request] = receiver.requests
    timestamp = int(request.headers["X-MemberHub-Timestamp"])
    assert request.headers["X-MemberHub-Signature"] == webhook_signature(
        secret=subscription.secret, timestamp=timestamp, body=request.body
    )
    assert "webhook-signature" not in {name.lower() for name in request.headers}


def test_a_secret_from_before_the_standard_cannot_be_switched_to_it(db):
    old_style = WebhookSubscriptionFactory(
        secret="whsec_" + "-_" * 20, signature_scheme=WebhookSignatureScheme.LEGACY
    )
    old_style.signature_scheme = WebhookSignatureScheme.STANDARD
    with pytest.raises(Exception, match="regenerate the secret"):
        old_style.full_clean()
    with pytest.raises(WebhookSecretError):
        standard_secret_key("whsec_not base64!")


def test_the_migration_keeps_existing_subscriptions_on_the_legacy_header(db):
    """Migrate back to before 0016, add a subscription the old way, migrate forward: it signs the
    legacy way, and a subscription created afterwards gets the standard (inside the test's
    transaction: Postgres rolls the schema back with it)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = ("members", "0015_modelversion_kind_reviewml"), ("members", "0016_ops_observability")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_apps = executor.loader.project_state([before]).apps
    old_apps.get_model("members", "WebhookSubscription").objects.create(
        name="Old CRM",
        url="https://crm.example.com/hooks",
        events=["tier.changed"],
        secret="whsec_old-style_secret",
    )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Postgres alters no table with checks pending

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    new_apps = executor.loader.project_state([after]).apps
    Subscription = new_apps.get_model("members", "WebhookSubscription")
    assert Subscription.objects.get(name="Old CRM").signature_scheme == "legacy"
    assert Subscription._meta.get_field("signature_scheme").default == "standard"

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest schema for the rollback
