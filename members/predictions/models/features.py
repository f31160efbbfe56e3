"""Per-member behaviour features, one snapshot row per (member, as_of date).

Rows are written only by members.predictions.services.member_features (one set-based INSERT ... SELECT ... ON
CONFLICT); keeping every as-of date lets backtests and history compare snapshots. "As of D" means
everything placed or written before midnight UTC at the end of D counts, nothing after.
"""

from django.db import models


class MemberFeatures(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="feature_snapshots")
    as_of = models.DateField()

    # Orders (revenue statuses only: members.core.models.order.REVENUE_STATUSES).
    recency_days = models.IntegerField(null=True, help_text="Days from the last order to as_of; null: never ordered.")
    first_order_days = models.IntegerField(null=True, help_text="Days from the first order to as_of.")
    purchase_days = models.IntegerField(default=0, help_text="Distinct days with an order, up to as_of.")
    lifetime_orders = models.IntegerField(default=0)
    lifetime_spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    frequency_90 = models.IntegerField(default=0, help_text="Orders in the 90 days up to as_of.")
    frequency_365 = models.IntegerField(default=0)
    monetary_90 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    monetary_365 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    avg_order_value = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    return_cancel_rate = models.FloatField(
        null=True, help_text="Returned or cancelled orders / all orders in the 365 days up to as_of."
    )
    tenure_days = models.IntegerField(help_text="Days from joining to as_of.")
    category_shares = models.JSONField(
        default=dict, blank=True, help_text='Share of item spend over 365 days: {"Dresses": 0.6, ...}.'
    )

    # Reviews (all reviews written up to as_of).
    review_count = models.IntegerField(default=0)
    avg_rating = models.FloatField(null=True)
    negative_review_share = models.FloatField(
        null=True, help_text="Scored reviews: sentiment is negative; unscored ones: rating <= 2."
    )
    days_since_last_review = models.IntegerField(null=True)
    negative_service_reviews_90 = models.IntegerField(
        default=0, help_text="Negative reviews about service or delivery in the 90 days up to as_of."
    )
    topic_sentiment = models.JSONField(
        default=dict,
        blank=True,
        help_text='From scored reviews: {"delivery": {"reviews": 3, "negative_share": 0.67}, ...}; empty when none.',
    )
    negative_reviews_90 = models.IntegerField(default=0, help_text="Negative reviews in the 90 days up to as_of.")
    # Last year's version of the 90 days after as_of: seasonal shops repeat their calendar.
    frequency_same_period_ly = models.IntegerField(
        default=0, help_text="Orders in the 90 days that began 365 days before the day after as_of."
    )
    monetary_same_period_ly = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Mean of the member's review embeddings once reviews carry one (no such column yet: stays null).
    text_embedding = models.JSONField(null=True, blank=True)

    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-as_of", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "as_of"], name="memberfeatures_member_as_of"),
        ]
        indexes = [models.Index(fields=["as_of"], name="memberfeatures_as_of")]
        verbose_name_plural = "member features"

    def __str__(self) -> str:
        return f"features of member {self.member_id} as of {self.as_of}"
