"""D3: webhook URLs may not reach our own machine or private networks (server-side request forgery).

Refused when a subscription is saved (admin, service) and again before every delivery, after DNS
resolution; an explicit WEBHOOK_ALLOWED_NETWORKS lets on-premise partners through. The receiver's
response body is kept and shown only as a short excerpt.
"""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from members.models import WebhookDelivery, WebhookSubscription
from members.partners.models.webhook import WEBHOOK_RESPONSE_EXCERPT_BYTES
from members.partners.services.webhook_url_guard import parse_allowed_networks
from members.partners.services.webhooks import webhook_delivery_attempt, webhook_subscription_create
from tests.members.partners.webhooks.conftest import (  # noqa: F401
    WebhookDeliveryFactory,
    WebhookSubscriptionFactory,
    receiver,
)

pytestmark = pytest.mark.django_db

INTERNAL_URLS = [
    "http://127.0.0.1:5432/",
    "http://127.0.0.1:6379/",
    "http://localhost:8000/",
    "http://LOCALHOST./",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.10/",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://100.64.0.1/",
    "http://2130706433/",  # 127.0.0.1 written as one number
]


@pytest.fixture
def fake_dns(monkeypatch):
    """Resolve chosen names to chosen addresses, as a partner's (or an attacker's) DNS would."""
    records: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in records:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in records[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return records


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_the_admin_refuses_an_internal_webhook_url(admin_client, url):
    response = admin_client.post(
        reverse("admin:members_webhooksubscription_add"), {"name": "x", "url": url, "events": ["tier.changed"]}
    )
    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    assert not WebhookSubscription.objects.exists()


def test_the_service_refuses_a_name_that_resolves_to_loopback(fake_dns):
    fake_dns["hooks.partner.example"] = ["127.0.0.1"]
    with pytest.raises(ValidationError) as refused:
        webhook_subscription_create(name="x", url="https://hooks.partner.example/in", events=["tier.changed"])
    assert "loopback" in str(refused.value)


def test_a_public_url_is_still_accepted(fake_dns):
    fake_dns["hooks.partner.example"] = ["93.184.216.34"]
    subscription = webhook_subscription_create(
        name="x", url="https://hooks.partner.example/in", events=["tier.changed"]
    )
    assert subscription.pk


def test_delivery_to_a_loopback_receiver_is_refused_without_connecting(receiver):  # noqa: F811
    receiver.response_body = b"SECRET internal page"
    delivery = WebhookDeliveryFactory(subscription=WebhookSubscriptionFactory(url=receiver.url))

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.outcome == "failed"
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert "loopback" in delivery.last_error and delivery.response_body == ""


def test_delivery_checks_the_address_a_name_resolves_to_now(receiver, fake_dns):  # noqa: F811
    # Saved while the name was public; re-pointed at 127.0.0.1 afterwards (DNS rebinding).
    fake_dns["hooks.partner.example"] = ["93.184.216.34", "127.0.0.1"]
    port = receiver.url.split(":")[2].split("/")[0]
    delivery = WebhookDeliveryFactory(
        subscription=WebhookSubscriptionFactory(url=f"http://hooks.partner.example:{port}/in")
    )

    webhook_delivery_attempt(delivery_id=delivery.pk)

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert "127.0.0.1 is a loopback address" in delivery.last_error


def test_an_allowed_network_is_reached_at_the_checked_address(receiver, fake_dns, settings):  # noqa: F811
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    fake_dns["crm.onprem.example"] = ["127.0.0.1"]
    port = receiver.url.split(":")[2].split("/")[0]
    subscription = webhook_subscription_create(
        name="On-premise CRM", url=f"http://crm.onprem.example:{port}/in", events=["tier.changed"]
    )
    delivery = WebhookDeliveryFactory(subscription=subscription)

    assert webhook_delivery_attempt(delivery_id=delivery.pk).outcome == "succeeded"
    [request] = receiver.requests
    assert request.headers["Host"] == f"crm.onprem.example:{port}"


def test_only_a_short_excerpt_of_the_response_is_stored_and_shown(receiver, settings, admin_client):  # noqa: F811
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1"]
    receiver.status = 500
    receiver.response_body = b"A" * 300 + b"B" * 10_000
    delivery = WebhookDeliveryFactory(subscription=WebhookSubscriptionFactory(url=receiver.url))

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert WEBHOOK_RESPONSE_EXCERPT_BYTES <= 512
    assert delivery.response_body == "A" * WEBHOOK_RESPONSE_EXCERPT_BYTES
    # A row stored before the excerpt shrank is cut on the page too.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(response_body="C" * 5_000)
    page = admin_client.get(reverse("admin:members_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert "C" * WEBHOOK_RESPONSE_EXCERPT_BYTES in page and "C" * (WEBHOOK_RESPONSE_EXCERPT_BYTES + 1) not in page


def test_a_bad_allowed_network_is_an_error():
    with pytest.raises(ValueError, match="not-a-network"):
        parse_allowed_networks(["10.0.0.0/8", "not-a-network"])
