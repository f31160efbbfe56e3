"""Predict a campaign's effect: redemption rate and incremental revenue, each with an interval.

The predictor is a regression trained on past campaigns' measured results (their audience features
and offer -> measured conversion lift and incremental revenue per targeted member): scikit-learn
gradient boosting with quantile loss at 10 %, 50 % and 90 %, so the interval is an 80 % one. It
retrains from the measured campaigns every time it is built (campaigns number in the hundreds at
most), which is how a newly measured campaign feeds back into the next prediction.

With fewer than MIN_TRAINING_CAMPAIGNS measured campaigns it says so and falls back to PRIOR_LIFT,
the documented priors in docs/campaigns.md: a fixed conversion lift per offer kind, an interval of
half to one and a half times it, and revenue = lift x the audience's average order value (net of
the discount).
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Max, QuerySet
from django.utils import timezone

from members.models import Campaign, CampaignOfferKind, CampaignStatus, ChurnScore, Member, Order
from members.models.order import REVENUE_STATUSES

MIN_TRAINING_CAMPAIGNS = 8
QUANTILES = (0.1, 0.5, 0.9)
INTERVAL_LABEL = "80 %"
# Priors: absolute conversion lift (share of the audience who buy because of the offer) per offer.
# Deliberately modest, and shown as priors wherever they are used; see docs/campaigns.md.
PRIOR_LIFT = {
    CampaignOfferKind.DISCOUNT_PCT: 0.004,  # per percentage point of discount, up to PRIOR_DISCOUNT_LIFT_CAP
    CampaignOfferKind.FREE_SHIPPING: 0.02,
    CampaignOfferKind.BONUS_POINTS: 0.015,
    CampaignOfferKind.EARLY_ACCESS: 0.01,
}
PRIOR_DISCOUNT_LIFT_CAP = 0.10
PRIOR_INTERVAL = (0.5, 1.5)
MIN_LOOKBACK_DAYS = 7
OFFER_KINDS = tuple(CampaignOfferKind.values)


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


def _offer_vector(offer_kind: str, offer_value: float) -> list[float]:
    return [1.0 if offer_kind == kind else 0.0 for kind in OFFER_KINDS] + [offer_value]


def _row(features: dict, offer_kind: str, offer_value: float, duration_days: int, has_focus: bool) -> list[float]:
    churn = features.get("churn_mean")
    return [
        math.log1p(features["audience_size"]),
        features["baseline_rate"],
        math.log1p(features["avg_order_value"]),
        churn if churn is not None else -1.0,  # trees split the "not scored" marker off on their own
        float(duration_days),
        1.0 if has_focus else 0.0,
        *_offer_vector(offer_kind, offer_value),
    ]


def _interval(low: float, mid: float, high: float) -> dict:
    low, mid, high = sorted((low, mid, high))
    return {"estimate": round(mid, 6), "low": round(low, 6), "high": round(high, 6)}


@dataclass
class CampaignPredictor:
    """Build with campaign_predictor_build(); call predict() for each candidate campaign."""

    trained_on: int
    models: dict = field(default_factory=dict)  # "lift"/"revenue" -> [model per quantile]

    @property
    def method(self) -> str:
        return "gbr_quantile" if self.models else "prior"

    def predict(self, *, features: AudienceFeatures | dict, offer_kind: str, offer_value: Decimal | float,
                duration_days: int, has_focus: bool) -> dict:
        """The predicted effect (the JSON stored in Campaign.predicted_effect)."""
        feats = features.as_dict() if isinstance(features, AudienceFeatures) else dict(features)
        value = float(offer_value)
        if self.models:
            row = [_row(feats, offer_kind, value, duration_days, has_focus)]
            lift = [float(m.predict(row)[0]) for m in self.models["lift"]]
            per_member = [float(m.predict(row)[0]) for m in self.models["revenue"]]
            note = (f"Predicted by gradient boosting (quantile loss) trained on {self.trained_on} measured "
                    f"campaigns; the interval is {INTERVAL_LABEL}.")
        else:
            lift, per_member = _prior(feats, offer_kind, value)
            note = (f"No model yet: {self.trained_on} measured campaign(s), {MIN_TRAINING_CAMPAIGNS} needed. "
                    f"These figures are documented priors for a {CampaignOfferKind(offer_kind).label.lower()} "
                    f"offer (docs/campaigns.md), not a measurement.")
        base = feats["baseline_rate"]
        size = feats["audience_size"]
        return {
            "method": self.method,
            "trained_on": self.trained_on,
            "note": note,
            "interval": INTERVAL_LABEL,
            "features": feats,
            "offer": {"kind": offer_kind, "value": value, "duration_days": duration_days, "has_focus": has_focus},
            "baseline_rate": round(base, 6),
            "lift": _interval(*lift),
            "redemption_rate": _interval(*(min(1.0, max(0.0, base + v)) for v in lift)),
            "incremental_revenue": _interval(*(v * size for v in per_member)),
            "predicted_at": timezone.now().isoformat(),
        }


def _prior(feats: dict, offer_kind: str, value: float) -> tuple[list[float], list[float]]:
    if offer_kind == CampaignOfferKind.DISCOUNT_PCT:
        lift = min(PRIOR_DISCOUNT_LIFT_CAP, PRIOR_LIFT[offer_kind] * value)
        net = 1 - min(value, 100) / 100
    else:
        lift, net = PRIOR_LIFT[offer_kind], 1.0
    lifts = [lift * PRIOR_INTERVAL[0], lift, lift * PRIOR_INTERVAL[1]]
    return lifts, [v * feats["avg_order_value"] * net for v in lifts]


def campaign_training_rows() -> tuple[list[list[float]], list[float], list[float]]:
    """Measured campaigns as (X, conversion lift, incremental revenue per targeted member), one query."""
    rows = Campaign.objects.filter(status=CampaignStatus.COMPLETED).exclude(actual_results={}).values_list(
        "predicted_effect", "actual_results", "offer_kind", "offer_value", "starts_on", "ends_on", "focus_category")
    X, lift, revenue = [], [], []
    for predicted, actual, kind, value, starts_on, ends_on, focus in rows:
        feats, uplift = (predicted or {}).get("features"), (actual or {}).get("uplift")
        if not feats or not uplift:
            continue
        X.append(_row(feats, kind, float(value), (ends_on - starts_on).days + 1, bool(focus)))
        lift.append(uplift["conversion"]["estimate"])
        revenue.append(uplift["revenue_per_member"]["estimate"])
    return X, lift, revenue


def campaign_predictor_build() -> CampaignPredictor:
    """Train on every measured campaign, or return the prior-based predictor when there are too few."""
    X, lift, revenue = campaign_training_rows()
    if len(X) < MIN_TRAINING_CAMPAIGNS:
        return CampaignPredictor(trained_on=len(X))
    from sklearn.ensemble import GradientBoostingRegressor  # heavy import, only when there is history

    def fit(y: list[float]) -> list:
        return [
            GradientBoostingRegressor(loss="quantile", alpha=q, n_estimators=100, max_depth=2,
                                      learning_rate=0.1, min_samples_leaf=2, random_state=0).fit(X, y)
            for q in QUANTILES
        ]

    return CampaignPredictor(trained_on=len(X), models={"lift": fit(lift), "revenue": fit(revenue)})
