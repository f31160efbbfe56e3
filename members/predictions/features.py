"""What a member feature snapshot is: its columns and the instant "as of D" ends. Shared by the
service that computes snapshots and the reads that use them (services/member_features.py has
the definitions of each column)."""

from datetime import UTC, date, datetime, time, timedelta

FEATURE_COLUMNS = (
    "recency_days", "first_order_days", "purchase_days", "lifetime_orders", "lifetime_spend",
    "frequency_90", "frequency_365", "monetary_90", "monetary_365", "avg_order_value",
    "return_cancel_rate", "tenure_days", "category_shares", "review_count", "avg_rating",
    "negative_review_share", "days_since_last_review", "negative_service_reviews_90",
    "topic_sentiment", "frequency_same_period_ly", "monetary_same_period_ly", "negative_reviews_90",
    "computed_at",
)  # fmt: skip


def features_cutoff(*, as_of: date) -> datetime:
    """The first instant that does NOT count for `as_of`: midnight UTC after that day."""
    return datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)
