"""Time travel: everything computed "as of D" reads only data from before the end of D.

The shop's history runs to today; D is 120 days back. Everything is run as of D twice on the same
database state: once with the orders and reviews after D deleted (inside a savepoint that is then
rolled back), once with them present. Every output must be the same: features, segments, tier
proposals, churn scores and reasons, spend forecasts and their tier flags, the next-tier progress
the API shows, the campaign engine's audience baselines and candidates, and the recommendations.
"""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from members.campaigns.services.campaign_engine import campaign_engine_candidates
from members.campaigns.services.campaign_predictor import audience_features
from members.core.selectors.member_detail import member_scores
from members.models import (
    ChurnScore,
    Member,
    MemberFeatures,
    MemberModelVersion,
    Order,
    Review,
    SegmentMembership,
    SpendForecast,
    TierChange,
)
from members.predictions.selectors.member_features import member_feature_rows
from members.predictions.services.churn import churn_recipe_fit
from members.predictions.services.member_refresh import member_refresh_run
from members.predictions.services.member_windows import TrainingWindows
from members.predictions.services.spend_forecast import spend_forecast_recipe_fit
from tests.members.predictions.shop import build_shop

pytestmark = pytest.mark.django_db(transaction=False)


class _Rollback(Exception):
    pass


@pytest.fixture
def shop(settings, tmp_path):
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path
    today = timezone.localdate()
    return {**build_shop(today=today, members=300, seed=5), "today": today}


def _everything_as_of(as_of, artifact_dir, settings) -> dict:
    settings.MEMBERHUB_ARTIFACT_DIR = artifact_dir  # each run trains its own v1 artifacts
    member_refresh_run(as_of=as_of, retrain=True)  # a model the promotion rule refuses scores nothing...
    windows = TrainingWindows(as_of=as_of)  # ... so the recipes' own predictions are compared too
    rows = member_feature_rows(as_of=as_of)
    some = list(Member.objects.order_by("id")[:25])
    audience = audience_features(members=Member.objects.all(), duration_days=14, as_of=as_of)
    out = {
        "features": sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k not in ("id", "computed_at")))
            for row in MemberFeatures.objects.filter(as_of=as_of).values()
        ),
        "segments": sorted(SegmentMembership.objects.filter(as_of=as_of).values_list("member_id", "segment__name")),
        "tiers": sorted(TierChange.objects.values_list("member_id", "to_tier_id", "status", "reason")),
        "churn": sorted((s.member_id, round(s.probability, 10), str(s.top_reasons))
                        for s in ChurnScore.objects.filter(as_of=as_of)),
        "forecast": sorted(SpendForecast.objects.filter(as_of=as_of).values_list(
            "member_id", "expected_spend", "spend_low", "spend_high", "likely_to_reach_next_tier",
            "at_risk_of_downgrade")),
        "churn_recipe": [round(float(p), 10) for p in churn_recipe_fit(windows=windows, model_date=as_of).predict(rows)],
        "forecast_recipe": [round(float(p), 6) for p in
                            spend_forecast_recipe_fit(windows=windows, model_date=as_of).predict(rows)[0]],
        "next_tier": [member_scores(member=m).next_tier.as_json() for m in some],
        "audience": (audience.audience_size, audience.baseline_rate, audience.avg_order_value, audience.churn_mean),
        "campaign_candidates": [c.key for c in campaign_engine_candidates(today=as_of)],
        "model_metrics": sorted((v.kind, str(v.metrics.get("backtest"))) for v in MemberModelVersion.objects.all()),
    }
    try:
        from members.recs.services.recommendations import recommendations_compute
    except ImportError:  # the recommendations service predates as_of: nothing to compare
        return out
    out["recommendations"] = recommendations_compute(as_of=as_of, member_ids=[m.pk for m in some], k=10)
    return out


def test_no_output_as_of_a_date_changes_when_later_orders_and_reviews_exist(shop, settings, tmp_path):
    as_of = shop["today"] - timedelta(days=120)
    after = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)
    assert Order.objects.filter(placed_at__gte=after).count() > 500  # plenty of future to leak
    try:
        with transaction.atomic():
            Order.objects.filter(placed_at__gte=after).delete()
            Review.objects.filter(created_at__gte=after).delete()
            without_future = _everything_as_of(as_of, tmp_path / "without", settings)
            raise _Rollback
    except _Rollback:
        pass
    assert Order.objects.filter(placed_at__gte=after).exists()  # the future is back
    with_future = _everything_as_of(as_of, tmp_path / "with", settings)
    assert with_future.keys() == without_future.keys()
    for key in with_future:
        assert with_future[key] == without_future[key], f"{key} changed when later data exists"
    assert with_future["features"] and with_future["churn_recipe"] and with_future["forecast_recipe"]
    assert with_future["segments"] and with_future["next_tier"]
