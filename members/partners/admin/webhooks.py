"""Admin for webhooks: partner subscriptions (with their signing secret) and the delivery log.

Subscriptions are edited here (name, URL, events); their state (active, failure count, secret)
changes only through the actions, which call the webhook services. Deliveries are history:
read-only, with "redeliver" sending an event again under the same event id.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import ngettext

from members.admin.base import ScalableAdmin
from members.partners.models.webhook import (
    WEBHOOK_EVENTS,
    WEBHOOK_RESPONSE_EXCERPT_BYTES,
    WebhookDelivery,
    WebhookSubscription,
    webhook_event_choices,
)
from members.partners.services.webhooks import (
    webhook_delivery_redeliver,
    webhook_subscription_disable,
    webhook_subscription_enable,
    webhook_subscription_regenerate_secret,
)


class WebhookSubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=webhook_event_choices, widget=forms.CheckboxSelectMultiple, help_text="Events to receive."
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "api_key", "signature_scheme")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = (
        "name",
        "url",
        "event_list",
        "active",
        "consecutive_failures",
        "disabled_at",
        "created_at",
    )
    list_filter = ("active",)
    search_fields = ("name", "url")
    raw_id_fields = ("api_key",)
    readonly_fields = (
        "secret",
        "active",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "url", "events", "api_key")}),
        (
            "Signing",
            {
                "fields": ("signature_scheme", "secret"),
                "description": "The receiver verifies each request with this secret: with any Standard "
                "Webhooks library (webhook-signature), or, for the legacy scheme, X-MemberHub-Signature "
                "(docs/webhooks.md). Use the 'Regenerate secret' action if it leaks.",
            },
        ),
        (
            "State",
            {"fields": ("active", "consecutive_failures", "disabled_at", "disabled_reason", "created_at")},
        ),
    )
    actions = ["re_enable", "disable", "regenerate_secret"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # a URL typed without a scheme means https
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Events")
    def event_list(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.events or [])

    @admin.action(description="Re-enable (and reset the failure count)", permissions=["change"])
    def re_enable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        count = webhook_subscription_enable(subscription_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("Re-enabled %(count)d subscription.", "Re-enabled %(count)d subscriptions.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description="Disable", permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        count = webhook_subscription_disable(
            subscription_ids=queryset.values_list("pk", flat=True), reason=f"Disabled by {request.user}."
        )
        self.message_user(
            request,
            ngettext("Disabled %(count)d subscription.", "Disabled %(count)d subscriptions.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description="Regenerate secret (the old one stops working at once)", permissions=["change"])
    def regenerate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        count = webhook_subscription_regenerate_secret(subscription_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "New secret for %(count)d subscription; give it to the receiver.",
                "New secrets for %(count)d subscriptions; give them to the receivers.",
                count,
            )
            % {"count": count},
            messages.WARNING,
        )


class EventFilter(admin.SimpleListFilter):
    """Events from the registry, so the filter needs no SELECT DISTINCT over the delivery log."""

    title = "event"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return [(name, name) for name in WEBHOOK_EVENTS]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(event=self.value())
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScalableAdmin):
    list_display = (
        "created_at",
        "event",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_select_related = ("subscription",)
    list_filter = ("status", EventFilter, "subscription")
    search_fields = ("event_id__exact",)
    search_help_text = "Exact event id (the X-MemberHub-Delivery header)."
    sortable_by = ("created_at",)
    actions = ["redeliver"]
    fields = (
        "subscription",
        "event",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "response_excerpt",
        "payload_pretty",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
    )
    readonly_fields = fields

    @admin.display(description="Payload")
    def payload_pretty(self, delivery: WebhookDelivery) -> str:
        text = json.dumps(delivery.payload, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    @admin.display(description=f"Response (first {WEBHOOK_RESPONSE_EXCERPT_BYTES} bytes)")
    def response_excerpt(self, delivery: WebhookDelivery) -> str:
        # Rows stored before the excerpt shrank may hold more; never show more than the excerpt.
        excerpt = delivery.response_body[:WEBHOOK_RESPONSE_EXCERPT_BYTES]
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', excerpt or "-")

    @admin.action(description="Redeliver (send the same event id again)", permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        created = webhook_delivery_redeliver(delivery_ids=selected)
        self.message_user(
            request,
            ngettext("Queued %(count)d redelivery.", "Queued %(count)d redeliveries.", len(created))
            % {"count": len(created)},
            messages.SUCCESS,
        )
        if skipped := len(selected) - len(created):
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery skipped: its subscription is disabled.",
                    "%(count)d deliveries skipped: their subscriptions are disabled.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("members.change_webhooksubscription")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # deliveries are made by webhook_event_publish

    def has_change_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False
