"""The webhook admin: subscription secret and actions, the read-only delivery log and redelivery."""

import pytest
from django.urls import reverse

from members.models import WebhookDelivery, WebhookSubscription
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory, WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_new_subscription_gets_a_secret_shown_on_its_page(admin_client):
    response = admin_client.post(
        reverse("admin:members_webhooksubscription_add"),
        {"name": "CRM", "url": "https://crm.example.com/hooks", "events": ["tier.changed"],
         "signature_scheme": "standard"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    subscription = WebhookSubscription.objects.get(name="CRM")
    assert subscription.signature_scheme == "standard"
    assert subscription.secret.startswith("whsec_") and len(subscription.secret) > 40
    assert subscription.events == ["tier.changed"]

    page = admin_client.get(reverse("admin:members_webhooksubscription_change", args=[subscription.pk]))
    assert subscription.secret in page.content.decode()


def test_subscription_needs_a_known_event(admin_client):
    response = admin_client.post(
        reverse("admin:members_webhooksubscription_add"),
        {"name": "CRM", "url": "https://crm.example.com/hooks", "events": ["tier.exploded"]},
    )
    assert response.status_code == 200
    assert "events" in response.context["adminform"].form.errors
    assert not WebhookSubscription.objects.exists()


def test_regenerate_secret_action_replaces_the_secret(admin_client):
    subscription = WebhookSubscriptionFactory()
    old = subscription.secret

    admin_client.post(
        reverse("admin:members_webhooksubscription_changelist"),
        {"action": "regenerate_secret", "_selected_action": [subscription.pk]},
    )

    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret.startswith("whsec_")


def test_re_enable_action_reactivates_a_disabled_subscription(admin_client):
    subscription = WebhookSubscriptionFactory(
        active=False, consecutive_failures=5, disabled_reason="Disabled"
    )

    admin_client.post(
        reverse("admin:members_webhooksubscription_changelist"),
        {"action": "re_enable", "_selected_action": [subscription.pk]},
    )

    subscription.refresh_from_db()
    assert (subscription.active, subscription.consecutive_failures, subscription.disabled_reason) == (
        True,
        0,
        "",
    )


def test_delivery_log_filters_and_shows_the_payload_pretty_printed(admin_client):
    delivery = WebhookDeliveryFactory(
        payload={"to_tier": "gold", "member_external_id": "C-1"}, status="failed"
    )
    WebhookDeliveryFactory(status="succeeded", delivered_at="2025-01-01T00:00:00Z")

    listing = admin_client.get(reverse("admin:members_webhookdelivery_changelist"), {"status": "failed"})
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [delivery]
    by_event = admin_client.get(
        reverse("admin:members_webhookdelivery_changelist"), {"event": "tier.changed"}
    )
    assert len(by_event.context["cl"].result_list) == 2

    page = admin_client.get(reverse("admin:members_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert "&quot;member_external_id&quot;: &quot;C-1&quot;,\n  &quot;to_tier&quot;" in page.content.decode()


def test_redeliver_action_queues_the_same_event_again(admin_client, django_capture_on_commit_callbacks):
    delivery = WebhookDeliveryFactory(status="given_up", attempts=8)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("admin:members_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )

    assert response.status_code == 302
    copy = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert (copy.event_id, copy.payload, copy.status) == (delivery.event_id, delivery.payload, "pending")
    assert len(callbacks) == 1
