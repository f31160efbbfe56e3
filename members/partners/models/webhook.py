"""Webhooks: partner systems subscribe to events and we POST each event to them, signed.

A WebhookSubscription is a partner's endpoint and the events it wants; a WebhookDelivery is one
event on its way to one subscription, with the record of every attempt (the admin's delivery log).
"""

import base64
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from members.partners.services.webhook_url_guard import (
    WebhookUrlRefused,
    parse_allowed_networks,
    webhook_url_check,
)

# The event registry: every event a subscription may ask for, with what it means. Add an event
# here (and its payload to docs/webhooks.md) when the code that fires it lands. Stored event names
# are plain strings, not DB choices, so adding one needs no migration.
WEBHOOK_EVENTS: dict[str, str] = {
    "tier.changed": "A member moved to another tier (a tier change was applied).",
    "review.scored": "A review was scored by the review models (sentiment, topics, entities).",
    "tier.will_downgrade": "A member will lose their tier soon unless they spend or order more.",
    "campaign.approved": "A merchandiser approved a campaign; its audience is at /api/v1/campaigns/<id>/audience/.",
}


class WebhookEvent:
    """Names for the registered events, so callers never type the strings."""

    TIER_CHANGED = "tier.changed"
    REVIEW_SCORED = "review.scored"
    CAMPAIGN_APPROVED = "campaign.approved"
    TIER_WILL_DOWNGRADE = "tier.will_downgrade"


def webhook_event_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} - {description}") for name, description in WEBHOOK_EVENTS.items()]


def generate_webhook_secret() -> str:
    """A fresh signing secret: 256 random bits, prefixed so a leaked one is recognisable.

    Standard base64 after the prefix, the form Standard Webhooks libraries decode into the HMAC
    key (older secrets are URL-safe base64; they keep working with the legacy header only).
    """
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class WebhookSignatureScheme(models.TextChoices):
    """How deliveries are signed (members/partners/services/webhook_signing.py, docs/webhooks.md)."""

    STANDARD = "standard", "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature)"
    LEGACY = "legacy", "Legacy MemberHub (X-MemberHub-Signature)"


def validate_webhook_events(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one event.")
    unknown = sorted({str(name) for name in value} - WEBHOOK_EVENTS.keys())
    if unknown:
        raise ValidationError(
            "Unknown event(s): %(unknown)s. Known events: %(known)s.",
            params={"unknown": ", ".join(unknown), "known": ", ".join(WEBHOOK_EVENTS)},
        )


class WebhookSubscription(models.Model):
    """A partner endpoint. Disabled automatically after repeated given-up deliveries (see services)."""

    name = models.CharField(max_length=100, help_text="Who this is for, e.g. 'CRM (production)'.")
    url = models.URLField(
        max_length=2000,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="We POST each event here as JSON. Use https outside development.",
    )
    events = models.JSONField(
        default=list, validators=[validate_webhook_events], help_text="Names of the events to receive."
    )
    secret = models.CharField(
        max_length=128,
        default=generate_webhook_secret,
        help_text="Signs every request. Share it with the receiver only.",
    )
    # New subscriptions use the standard; rows created before it existed were migrated to
    # "legacy" so their receivers keep verifying the header they were built for.
    signature_scheme = models.CharField(
        max_length=16,
        choices=WebhookSignatureScheme.choices,
        default=WebhookSignatureScheme.STANDARD,
        help_text="Standard Webhooks lets receivers verify with an existing library; legacy keeps the "
        "X-MemberHub-Signature header for receivers built before it.",
    )
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Deliveries given up since the last successful one."
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    api_key = models.ForeignKey(
        "members.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        help_text="The partner API key that manages this subscription, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Refused at save time as well as before each delivery (members/partners/services/webhook_url_guard.py).
        if self.url:
            try:
                webhook_url_check(self.url, allowed=parse_allowed_networks(settings.WEBHOOK_ALLOWED_NETWORKS))
            except WebhookUrlRefused as exc:
                raise ValidationError({"url": str(exc)})
        if self.signature_scheme == WebhookSignatureScheme.STANDARD and self.secret:
            from members.partners.services.webhook_signing import WebhookSecretError, standard_secret_key

            try:
                standard_secret_key(self.secret)
            except WebhookSecretError as exc:
                raise ValidationError({"signature_scheme": str(exc)})


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for its first attempt (or a redelivery)
    FAILED = "failed", _("Failed, will retry")  # the last attempt failed; next_attempt_at says when
    SUCCEEDED = "succeeded", _("Succeeded")
    GIVEN_UP = "given_up", _("Given up")  # out of attempts, or its subscription was disabled


# Statuses a worker may claim for an attempt.
WEBHOOK_DELIVERY_SENDABLE_STATUSES = (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED)
# How much of the receiver's response body is kept for the log: enough to read an error message,
# too little to make the delivery log a way to read another server's pages.
WEBHOOK_RESPONSE_EXCERPT_BYTES = 256


class WebhookDelivery(models.Model):
    """One event for one subscription. `event_id` is the same for every delivery of one event
    (all subscriptions, every retry, every manual redelivery), so receivers can de-duplicate."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64)
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField(help_text="The event's data; sent as the body's 'data'.")
    status = models.CharField(
        max_length=16, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_body = models.TextField(blank=True, help_text="The first 256 bytes of the receiver's last response.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker sending this delivery holds it until then; a crashed worker's claim simply expires.
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="whdelivery_created"),
            models.Index(fields=["subscription", "-created_at"], name="whdelivery_sub_created"),
            models.Index(fields=["status", "-created_at"], name="whdelivery_status_created"),
            models.Index(fields=["event", "-created_at"], name="whdelivery_event_created"),
            models.Index(fields=["event_id"], name="whdelivery_event_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="succeeded") | models.Q(delivered_at__isnull=False),
                name="whdelivery_success_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} → {self.subscription_id} ({self.status})"
