from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.Model):
    """A rung of the loyalty ladder. Members qualify by spend and/or orders within a window."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="0 is the entry tier; higher is better.")
    min_spend = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(Decimal(0))]
    )
    min_orders = models.PositiveIntegerField(default=0)
    qualifying_window_days = models.PositiveIntegerField(default=365)
    benefits = models.TextField(blank=True)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(condition=models.Q(min_spend__gte=0), name="tier_min_spend_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class TierChangeStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")
    # An evaluation proposal the next evaluation no longer backs (the member's figures changed).
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TierChangeSource(models.TextChoices):
    MANUAL = "manual", _("Manual (staff)")
    EVALUATION = "evaluation", _("Automatic evaluation")
    IMPORT = "import", _("Import")


class TierChange(models.Model):
    """The audit trail: every tier change, manual or automatic, is one of these."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    metrics = models.JSONField(default=dict, blank=True, help_text="The figures that justified the change.")
    source = models.CharField(max_length=16, choices=TierChangeSource.choices, default=TierChangeSource.MANUAL)
    status = models.CharField(max_length=16, choices=TierChangeStatus.choices, default=TierChangeStatus.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, help_text="Why a reviewer rejected the proposal.")
    as_of = models.DateField(null=True, blank=True, help_text="The evaluation date behind a proposal.")
    policy = models.ForeignKey(
        "members.TierPolicy", on_delete=models.PROTECT, null=True, blank=True, related_name="tier_changes"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="tierchange_status_created"),
            models.Index(fields=["member", "-created_at"], name="tierchange_member_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_tier=models.F("to_tier")), name="tierchange_moves_somewhere"
            ),
            models.CheckConstraint(
                condition=models.Q(status="proposed") | models.Q(decided_at__isnull=False),
                name="tierchange_decision_has_time",
            ),
            # Re-running an evaluation for the same day updates its open proposal instead of adding one.
            models.UniqueConstraint(
                fields=["member", "as_of", "to_tier"],
                condition=models.Q(status="proposed", source="evaluation"),
                name="tierchange_one_open_evaluation_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_tier_id} → {self.to_tier_id} ({self.status})"
