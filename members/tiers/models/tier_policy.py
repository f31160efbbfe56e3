"""The tier policy: how members qualify for tiers, versioned so every proposal can be explained.

Exactly one version is active. Editing the policy never updates a row: it creates the next
version (members.tiers.services.tier_policy.tier_policy_save) with a JSON snapshot of the tier
thresholds as they were, so a TierChange's `policy` tells which rules produced it.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class TierUpgradesMode(models.TextChoices):
    APPLY_IMMEDIATELY = "apply_immediately", _("Apply upgrades at once")
    PROPOSE = "propose", _("Propose upgrades for approval")


class TierQualifyOn(models.TextChoices):
    SPEND_AND_ORDERS = "spend_and_orders", _("Spend and orders (both thresholds met)")
    SPEND_OR_ORDERS = "spend_or_orders", _("Spend or orders (either threshold met)")


class TierPolicy(models.Model):
    version = models.PositiveIntegerField(unique=True)
    is_active = models.BooleanField(default=True)
    qualifying_window_days = models.PositiveIntegerField(
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Orders placed in the last N days (today included) count towards a tier.",
    )
    downgrade_grace_days = models.PositiveIntegerField(
        default=30,
        validators=[MaxValueValidator(3650)],
        help_text="A member below their tier's thresholds this many days gets a downgrade proposal.",
    )
    upgrades_mode = models.CharField(
        max_length=24, choices=TierUpgradesMode.choices, default=TierUpgradesMode.PROPOSE
    )
    qualify_on = models.CharField(
        max_length=24, choices=TierQualifyOn.choices, default=TierQualifyOn.SPEND_AND_ORDERS
    )
    thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text='Snapshot of the ladder when this version was saved: {code: {"name", "rank", "min_spend", "min_orders"}}.',
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "tier policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="tierpolicy_one_active_version"
            ),
        ]

    def __str__(self) -> str:
        return f"Tier policy v{self.version}{' (active)' if self.is_active else ''}"


class TierDowngradeWarning(models.Model):
    """A tier.will_downgrade event already sent: at most one per member, tier and drop date."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    tier = models.ForeignKey("members.Tier", on_delete=models.CASCADE, related_name="+")
    drop_date = models.DateField(help_text="The day the member's window metrics fall below the tier.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "tier", "drop_date"], name="tierwarning_once_per_drop"),
        ]
