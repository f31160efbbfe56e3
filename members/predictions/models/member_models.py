"""The member models' registry (churn, spend forecast) and the scores they write.

A MemberModelVersion is one trained model: its artifact (joblib, written by ml/member_models),
its backtest metrics, and whether it is the one scoring now. At most one version per kind is active.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberModelKind(models.TextChoices):
    CHURN = "churn", _("Churn risk")
    FORECAST = "forecast", _("Spend forecast (90 days)")


class MemberModelVersion(models.Model):
    kind = models.CharField(max_length=16, choices=MemberModelKind.choices)
    version = models.PositiveIntegerField(help_text="1, 2, 3 ... per kind.")
    as_of = models.DateField(help_text="The date T the model was trained and backtested for.")
    metrics = models.JSONField(default=dict, blank=True, help_text="Backtest figures and the baselines'.")
    artifact_path = models.CharField(max_length=1024)
    active = models.BooleanField(default=False)
    note = models.TextField(blank=True, help_text="Why it was or was not activated, in words.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="membermodelversion_kind_version"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(active=True), name="membermodelversion_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}{' (active)' if self.active else ''}"


class ChurnScore(models.Model):
    """Probability of no order in the 90 days after as_of, with the reasons that push it up."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="churn_scores")
    as_of = models.DateField()
    probability = models.FloatField()
    top_reasons = models.JSONField(default=list, blank=True, help_text='["no order for 140 days", ...]')
    model_version = models.ForeignKey(MemberModelVersion, on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["-as_of", "-probability"]
        constraints = [models.UniqueConstraint(fields=["member", "as_of"], name="churnscore_member_as_of")]
        indexes = [models.Index(fields=["as_of", "-probability"], name="churnscore_as_of_prob")]

    def __str__(self) -> str:
        return f"churn {self.probability:.2f} for member {self.member_id} as of {self.as_of}"


class SpendForecast(models.Model):
    """Expected spend in the 90 days after as_of and what it means for the member's tier."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="spend_forecasts")
    as_of = models.DateField()
    expected_spend = models.DecimalField(max_digits=14, decimal_places=2)
    spend_low = models.DecimalField(max_digits=14, decimal_places=2, null=True, help_text="10th percentile.")
    spend_high = models.DecimalField(max_digits=14, decimal_places=2, null=True, help_text="90th percentile.")
    likely_to_reach_next_tier = models.BooleanField(default=False)
    at_risk_of_downgrade = models.BooleanField(default=False)
    model_version = models.ForeignKey(MemberModelVersion, on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["-as_of", "-expected_spend"]
        constraints = [models.UniqueConstraint(fields=["member", "as_of"], name="spendforecast_member_as_of")]
        indexes = [models.Index(fields=["as_of"], name="spendforecast_as_of")]

    def __str__(self) -> str:
        return f"forecast {self.expected_spend} for member {self.member_id} as of {self.as_of}"


class MemberBacktestStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class MemberBacktest(models.Model):
    """One backtest of every member model as of a past date against what the shop's customers did
    in the following `horizon_days` days (members.predictions.services.member_backtest writes the metrics)."""

    as_of = models.DateField(help_text="The cut-off: models see only data before the end of this day.")
    horizon_days = models.PositiveIntegerField(default=90)
    status = models.CharField(max_length=16, choices=MemberBacktestStatus.choices, default=MemberBacktestStatus.QUEUED)
    metrics = models.JSONField(default=dict, blank=True, help_text="Ours next to the baselines, per model.")
    error = models.TextField(blank=True, help_text="Why the run failed, in words.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"backtest as of {self.as_of} (+{self.horizon_days} days, {self.status})"
