"""The campaign predictor's data: an audience's figures from the database, and the measured
campaigns it learns from. The model itself (quantile gradient boosting, or documented priors
when too few campaigns are measured) is ml/campaigns/predictor.py.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Max, QuerySet
from django.utils import timezone

from members.core.models.order import REVENUE_STATUSES
from members.models import Campaign, CampaignOfferKind, CampaignStatus, ChurnScore, Member, Order
from ml.campaigns.predictor import CampaignPredictor, campaign_predictor_fit, feature_row

MIN_LOOKBACK_DAYS = 7


@dataclass(frozen=True)
class AudienceFeatures:
    """What the predictor knows about an audience; stored with each prediction for later training."""

    audience_size: int
    baseline_rate: float  # share who ordered in the `lookback_days` before as_of (no offer)
    avg_order_value: float  # mean revenue order over the last 365 days
    churn_mean: float | None  # mean latest churn probability; None when nobody is scored
    lookback_days: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def audience_features(*, members: QuerySet[Member], duration_days: int, as_of: date | None = None) -> AudienceFeatures:
    """Aggregate an audience in four queries: size, buyers in the lookback window, average order
    value over 365 days, mean latest churn probability. `duration_days` sets the lookback so the
    baseline covers a window as long as the campaign."""
    as_of = as_of or timezone.localdate()
    lookback = max(MIN_LOOKBACK_DAYS, duration_days)
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())
    size = members.count()
    orders = Order.objects.filter(member__in=members.values("pk"), status__in=REVENUE_STATUSES, placed_at__lt=end)
    recent = orders.filter(placed_at__gte=end - timedelta(days=lookback)).aggregate(
        buyers=Count("member", distinct=True))
    aov = orders.filter(placed_at__gte=end - timedelta(days=365)).aggregate(v=Avg("total"))["v"]
    latest = ChurnScore.objects.filter(as_of__lte=as_of).aggregate(d=Max("as_of"))["d"]  # no later scores
    churn = None
    if latest is not None:
        churn = ChurnScore.objects.filter(as_of=latest, member__in=members.values("pk")).aggregate(
            p=Avg("probability"))["p"]
    return AudienceFeatures(
        audience_size=size,
        baseline_rate=(recent["buyers"] / size) if size else 0.0,
        avg_order_value=float(aov or 0),
        churn_mean=churn,
        lookback_days=lookback,
    )


def campaign_training_rows() -> tuple[list[list[float]], list[float], list[float]]:
    """Measured campaigns as (X, conversion lift, incremental revenue per targeted member), one query."""
    rows = Campaign.objects.filter(status=CampaignStatus.COMPLETED).exclude(actual_results={}).values_list(
        "predicted_effect", "actual_results", "offer_kind", "offer_value", "starts_on", "ends_on", "focus_category")
    X, lift, revenue = [], [], []
    for predicted, actual, kind, value, starts_on, ends_on, focus in rows:
        feats, uplift = (predicted or {}).get("features"), (actual or {}).get("uplift")
        if not feats or not uplift:
            continue
        X.append(feature_row(feats, kind, float(value), (ends_on - starts_on).days + 1, bool(focus)))
        lift.append(uplift["conversion"]["estimate"])
        revenue.append(uplift["revenue_per_member"]["estimate"])
    return X, lift, revenue


def campaign_predictor_build() -> CampaignPredictor:
    """Fit on every measured campaign, or the prior-based predictor when there are too few."""
    X, lift, revenue = campaign_training_rows()
    return campaign_predictor_fit(X, lift, revenue, offer_labels=dict(CampaignOfferKind.choices))
