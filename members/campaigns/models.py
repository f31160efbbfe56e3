"""Campaigns: an offer to an audience, proposed by the engine or a person, approved by a merchandiser.

Lifecycle (members.campaigns.services.campaigns enforces it; nothing else writes `status`):
proposed -> approved -> scheduled -> running -> completed, and proposed/approved -> rejected.
Approval freezes the audience into CampaignAudience rows, a random stable part of them held out
(group "holdout": never messaged, the baseline the measured uplift is computed against).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")


# Campaigns that still hold their target: the engine does not propose the same thing again.
OPEN_CAMPAIGN_STATUSES = (
    CampaignStatus.PROPOSED, CampaignStatus.APPROVED, CampaignStatus.SCHEDULED, CampaignStatus.RUNNING,
)
# Campaigns with a frozen audience (partners may read these through the API).
APPROVED_CAMPAIGN_STATUSES = (
    CampaignStatus.APPROVED, CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.COMPLETED,
)


class CampaignTargetKind(models.TextChoices):
    SEGMENT = "segment", _("Segment")
    TIER = "tier", _("Tier")
    NEAR_NEXT_TIER = "near_next_tier", _("Near the next tier")
    AT_CHURN_RISK = "at_churn_risk", _("At churn risk")


class CampaignOfferKind(models.TextChoices):
    DISCOUNT_PCT = "discount_pct", _("Discount (%)")
    FREE_SHIPPING = "free_shipping", _("Free shipping")
    BONUS_POINTS = "bonus_points", _("Bonus points")
    EARLY_ACCESS = "early_access", _("Early access")


class CampaignProposer(models.TextChoices):
    ENGINE = "engine", _("Engine")
    USER = "user", _("Person")


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    target_kind = models.CharField(max_length=16, choices=CampaignTargetKind.choices)
    target_segment = models.ForeignKey(
        "members.Segment", on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    target_tier = models.ForeignKey(
        "members.Tier", on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    offer_kind = models.CharField(max_length=16, choices=CampaignOfferKind.choices)
    offer_value = models.DecimalField(
        max_digits=10, decimal_places=2, default=0,
        help_text="Percent for a discount, points for bonus points; 0 for free shipping and early access.",
    )
    focus_category = models.CharField(max_length=100, blank=True)
    focus_products = models.ManyToManyField("members.Product", blank=True, related_name="campaigns")
    budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Last day of the campaign (inclusive).")
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.PROPOSED)
    rationale = models.TextField(blank=True, help_text="Why the engine (or person) expects an effect.")
    engine_key = models.CharField(
        max_length=200, blank=True, help_text="What the engine proposed (target + offer), so it proposes it once."
    )
    proposed_by = models.CharField(max_length=8, choices=CampaignProposer.choices, default=CampaignProposer.USER)
    proposed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    predicted_effect = models.JSONField(
        default=dict, blank=True,
        help_text="Audience features, redemption rate and incremental revenue with intervals, method, note.",
    )
    measurement_plan = models.JSONField(
        default=dict, blank=True, help_text="Power estimate and holdout share chosen at approval."
    )
    actual_results = models.JSONField(
        default=dict, blank=True, help_text="Measured conversion and revenue, target vs holdout, and the uplift."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="campaign_status_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_dates_order"),
            models.CheckConstraint(
                condition=~models.Q(target_kind="segment") | models.Q(target_segment__isnull=False),
                name="campaign_segment_target_has_segment",
            ),
            models.CheckConstraint(
                condition=~models.Q(target_kind="tier") | models.Q(target_tier__isnull=False),
                name="campaign_tier_target_has_tier",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(rejection_reason=""),
                name="campaign_rejection_has_reason",
            ),
            models.CheckConstraint(condition=models.Q(offer_value__gte=0), name="campaign_offer_value_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class CampaignAudienceGroup(models.TextChoices):
    TARGET = "target", _("Target (receives the offer)")
    HOLDOUT = "holdout", _("Holdout (kept out, for measurement)")


class CampaignAudience(models.Model):
    """One member in an approved campaign's frozen audience, in exactly one group."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="audience")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="campaign_audiences")
    group = models.CharField(max_length=8, choices=CampaignAudienceGroup.choices)

    class Meta:
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="campaignaudience_campaign_member"),
        ]
        indexes = [models.Index(fields=["campaign", "group", "id"], name="campaignaudience_group")]

    def __str__(self) -> str:
        return f"member {self.member_id} in campaign {self.campaign_id} ({self.group})"
