"""Predict a campaign's effect: redemption rate and incremental revenue, each with an interval.

The predictor is a regression trained on past campaigns' measured results (their audience features
and offer -> measured conversion lift and incremental revenue per targeted member): scikit-learn
gradient boosting with quantile loss at 10 %, 50 % and 90 %, so the interval is an 80 % one. It is
refitted from the measured campaigns every time it is built (campaigns number in the hundreds at
most), which is how a newly measured campaign feeds back into the next prediction.

With fewer than MIN_TRAINING_CAMPAIGNS measured campaigns it says so and falls back to PRIOR_LIFT,
the documented priors in docs/campaigns.md: a fixed conversion lift per offer kind, an interval of
half to one and a half times it, and revenue = lift x the audience's average order value (net of
the discount). Plain Python and scikit-learn: the audience figures come from
members/campaigns/services/campaign_predictor.py.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

MIN_TRAINING_CAMPAIGNS = 8
QUANTILES = (0.1, 0.5, 0.9)
INTERVAL_LABEL = "80 %"
# The offer kinds (members.models.CampaignOfferKind's values, in its order).
OFFER_KINDS = ("discount_pct", "free_shipping", "bonus_points", "early_access")
# Priors: absolute conversion lift (share of the audience who buy because of the offer) per offer.
# Deliberately modest, and shown as priors wherever they are used; see docs/campaigns.md.
PRIOR_LIFT = {
    "discount_pct": 0.004,  # per percentage point of discount, up to PRIOR_DISCOUNT_LIFT_CAP
    "free_shipping": 0.02,
    "bonus_points": 0.015,
    "early_access": 0.01,
}
PRIOR_DISCOUNT_LIFT_CAP = 0.10
PRIOR_INTERVAL = (0.5, 1.5)


def feature_row(features: Mapping, offer_kind: str, offer_value: float, duration_days: int,
                has_focus: bool) -> list[float]:
    """One campaign as the model's input: audience figures, duration, focus and the offer."""
    churn = features.get("churn_mean")
    return [
        math.log1p(features["audience_size"]),
        features["baseline_rate"],
        math.log1p(features["avg_order_value"]),
        churn if churn is not None else -1.0,  # trees split the "not scored" marker off on their own
        float(duration_days),
        1.0 if has_focus else 0.0,
        *(1.0 if offer_kind == kind else 0.0 for kind in OFFER_KINDS),
        offer_value,
    ]


def _interval(low: float, mid: float, high: float) -> dict:
    low, mid, high = sorted((low, mid, high))
    return {"estimate": round(mid, 6), "low": round(low, 6), "high": round(high, 6)}


def _prior(feats: Mapping, offer_kind: str, value: float) -> tuple[list[float], list[float]]:
    if offer_kind == "discount_pct":
        lift = min(PRIOR_DISCOUNT_LIFT_CAP, PRIOR_LIFT[offer_kind] * value)
        net = 1 - min(value, 100) / 100
    else:
        lift, net = PRIOR_LIFT[offer_kind], 1.0
    lifts = [lift * PRIOR_INTERVAL[0], lift, lift * PRIOR_INTERVAL[1]]
    return lifts, [v * feats["avg_order_value"] * net for v in lifts]


@dataclass
class CampaignPredictor:
    """Build with campaign_predictor_fit(); call predict() for each candidate campaign."""

    trained_on: int
    models: dict = field(default_factory=dict)  # "lift"/"revenue" -> [model per quantile]
    offer_labels: Mapping[str, str] = field(default_factory=dict)  # offer kind -> words, for the note

    @property
    def method(self) -> str:
        return "gbr_quantile" if self.models else "prior"

    def predict(self, *, features, offer_kind: str, offer_value: float, duration_days: int,
                has_focus: bool) -> dict:
        """The predicted effect (the JSON stored in Campaign.predicted_effect)."""
        feats = features.as_dict() if hasattr(features, "as_dict") else dict(features)
        value = float(offer_value)
        if self.models:
            row = [feature_row(feats, offer_kind, value, duration_days, has_focus)]
            lift = [float(m.predict(row)[0]) for m in self.models["lift"]]
            per_member = [float(m.predict(row)[0]) for m in self.models["revenue"]]
            note = (f"Predicted by gradient boosting (quantile loss) trained on {self.trained_on} measured "
                    f"campaigns; the interval is {INTERVAL_LABEL}.")
        else:
            lift, per_member = _prior(feats, offer_kind, value)
            label = self.offer_labels.get(offer_kind, offer_kind).lower()
            note = (f"No model yet: {self.trained_on} measured campaign(s), {MIN_TRAINING_CAMPAIGNS} needed. "
                    f"These figures are documented priors for a {label} offer (docs/campaigns.md), "
                    "not a measurement.")
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
            "predicted_at": datetime.now(UTC).isoformat(),
        }


def campaign_predictor_fit(X: list[list[float]], lift: list[float], revenue: list[float], *,
                           offer_labels: Mapping[str, str] | None = None) -> CampaignPredictor:
    """Fit the quantile models on measured campaigns (rows from feature_row, their measured lift and
    incremental revenue per member), or the prior-based predictor when there are too few."""
    labels = dict(offer_labels or {})
    if len(X) < MIN_TRAINING_CAMPAIGNS:
        return CampaignPredictor(trained_on=len(X), offer_labels=labels)
    from sklearn.ensemble import GradientBoostingRegressor  # heavy import, only when there is history

    def fit(y: list[float]) -> list:
        return [
            GradientBoostingRegressor(loss="quantile", alpha=q, n_estimators=100, max_depth=2,
                                      learning_rate=0.1, min_samples_leaf=2, random_state=0).fit(X, y)
            for q in QUANTILES
        ]

    return CampaignPredictor(trained_on=len(X), models={"lift": fit(lift), "revenue": fit(revenue)},
                             offer_labels=labels)
