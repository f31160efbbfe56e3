"""The predictor: documented priors without history, a quantile model once campaigns are measured."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.campaigns.services.campaign_predictor import (
    AudienceFeatures,
    audience_features,
    campaign_predictor_build,
)
from members.models import CampaignOfferKind, CampaignStatus, Member
from ml.campaigns.predictor import MIN_TRAINING_CAMPAIGNS, OFFER_KINDS, PRIOR_LIFT
from tests.factories import MemberFactory, OrderFactory
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db

FEATURES = AudienceFeatures(audience_size=1000, baseline_rate=0.10, avg_order_value=50.0, churn_mean=None,
                            lookback_days=14)


def test_with_no_history_it_says_so_and_uses_the_documented_prior():
    predictor = campaign_predictor_build()
    effect = predictor.predict(features=FEATURES, offer_kind=CampaignOfferKind.FREE_SHIPPING, offer_value=0,
                               duration_days=14, has_focus=False)
    assert effect["method"] == "prior" and effect["trained_on"] == 0
    assert "No model yet: 0 measured campaign(s), 8 needed" in effect["note"]
    lift = PRIOR_LIFT[CampaignOfferKind.FREE_SHIPPING]
    assert effect["redemption_rate"] == {"estimate": pytest.approx(0.10 + lift), "low": pytest.approx(0.10 + lift / 2),
                                         "high": pytest.approx(0.10 + lift * 1.5)}
    assert effect["incremental_revenue"]["estimate"] == pytest.approx(lift * 50.0 * 1000)


def test_a_discount_prior_scales_with_the_discount_and_nets_it_off_revenue():
    predictor = campaign_predictor_build()
    effect = predictor.predict(features=FEATURES, offer_kind=CampaignOfferKind.DISCOUNT_PCT, offer_value=Decimal(10),
                               duration_days=14, has_focus=False)
    assert effect["lift"]["estimate"] == pytest.approx(0.04)
    assert effect["incremental_revenue"]["estimate"] == pytest.approx(0.04 * 50.0 * 0.9 * 1000)
    capped = predictor.predict(features=FEATURES, offer_kind=CampaignOfferKind.DISCOUNT_PCT, offer_value=Decimal(60),
                               duration_days=14, has_focus=False)
    assert capped["lift"]["estimate"] == pytest.approx(0.10)


def _measured_campaign(rng: random.Random, offer: str, value: float, lift: float, per_member: float):
    today = timezone.localdate()
    feats = {"audience_size": rng.randint(500, 5000), "baseline_rate": rng.uniform(0.05, 0.2),
             "avg_order_value": rng.uniform(30, 90), "churn_mean": None, "lookback_days": 14}
    return CampaignFactory(
        status=CampaignStatus.COMPLETED, offer_kind=offer, offer_value=Decimal(str(value)),
        starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=17),
        predicted_effect={"features": feats},
        actual_results={"uplift": {"conversion": {"estimate": lift}, "revenue_per_member": {"estimate": per_member}}},
    )


def test_with_enough_measured_campaigns_it_trains_a_quantile_model_on_them():
    rng = random.Random(1)
    for i in range(MIN_TRAINING_CAMPAIGNS + 4):
        # Measured truth: free shipping lifts conversion ~6 points and revenue ~3.00 per member; early access ~0.
        if i % 2:
            _measured_campaign(rng, CampaignOfferKind.FREE_SHIPPING, 0, rng.uniform(0.05, 0.07), rng.uniform(2.5, 3.5))
        else:
            _measured_campaign(rng, CampaignOfferKind.EARLY_ACCESS, 0, rng.uniform(-0.005, 0.005), rng.uniform(-0.2, 0.2))
    predictor = campaign_predictor_build()
    assert predictor.method == "gbr_quantile" and predictor.trained_on == MIN_TRAINING_CAMPAIGNS + 4
    shipping = predictor.predict(features=FEATURES, offer_kind=CampaignOfferKind.FREE_SHIPPING, offer_value=0,
                                 duration_days=14, has_focus=False)
    early = predictor.predict(features=FEATURES, offer_kind=CampaignOfferKind.EARLY_ACCESS, offer_value=0,
                              duration_days=14, has_focus=False)
    assert "trained on 12 measured campaigns" in shipping["note"]
    assert shipping["lift"]["low"] <= shipping["lift"]["estimate"] <= shipping["lift"]["high"]
    assert shipping["lift"]["estimate"] > 0.04
    assert early["lift"]["estimate"] < 0.01
    # Learned from the measurements, not the prior (which would say 2 points for free shipping).
    assert shipping["lift"]["estimate"] != pytest.approx(PRIOR_LIFT[CampaignOfferKind.FREE_SHIPPING])
    assert shipping["incremental_revenue"]["estimate"] > 2000


def test_a_campaign_without_a_measured_uplift_is_not_a_training_row():
    rng = random.Random(2)
    for _ in range(MIN_TRAINING_CAMPAIGNS - 1):
        _measured_campaign(rng, CampaignOfferKind.FREE_SHIPPING, 0, 0.05, 3.0)
    CampaignFactory(status=CampaignStatus.COMPLETED, predicted_effect={"features": FEATURES.as_dict()},
                    actual_results={"uplift": None, "note": "no holdout"})
    assert campaign_predictor_build().method == "prior"


def test_audience_features_come_from_the_audiences_orders():
    buyers = MemberFactory.create_batch(2)
    MemberFactory.create_batch(2)
    OrderFactory(member=buyers[0], placed_at=timezone.now() - timedelta(days=3), total=Decimal("30.00"))
    OrderFactory(member=buyers[1], placed_at=timezone.now() - timedelta(days=100), total=Decimal("50.00"))
    feats = audience_features(members=Member.objects.all(), duration_days=14)
    assert feats.audience_size == 4
    assert feats.baseline_rate == 0.25  # one of four ordered in the last 14 days
    assert feats.avg_order_value == 40.0
    assert feats.churn_mean is None


def test_ml_knows_the_same_offer_kinds_as_the_model():
    # ml/ cannot import the Django choices; this keeps its copy of the values in step.
    assert OFFER_KINDS == tuple(CampaignOfferKind.values)
