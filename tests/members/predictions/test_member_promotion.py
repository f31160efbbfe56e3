"""The member models' promotion rule (ml.member_models.promotion): served only when clearly better
than every baseline (95 % paired bootstrap interval above zero) and no worse than the active
version; a forecast that loses to the naive one is stored, explained, and never activated."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone

from members.models import MemberFeatures, MemberModelKind, MemberModelVersion, SpendForecast
from members.predictions.services.churn_registry import member_model_active, member_model_register
from members.predictions.services.member_features import member_features_compute
from members.predictions.services.spend_forecast import spend_forecast_score, spend_forecast_train
from ml.member_models.forecast import ForecastConfig
from ml.member_models.promotion import PromotionDecision, promotion_decide
from tests.members.predictions.shared_db import artifacts_copied, kept_until_exit
from tests.members.predictions.shop import build_shop


def _minus_mae(actual, predicted):
    return -float(np.mean(np.abs(predicted - actual)))


def _spend(n=2000, seed=3):
    rng = np.random.default_rng(seed)
    actual = rng.gamma(2.0, 50.0, n)
    return rng, actual


def test_a_forecast_that_is_only_level_with_naive_is_refused():
    rng, actual = _spend()
    naive = actual + rng.normal(0, 30, len(actual))
    candidate = actual + rng.normal(0, 30, len(actual))  # as good as naive, not better
    decision = promotion_decide(_minus_mae, actual, candidate, metric="minus MAE", baselines={"naive": naive})
    assert not decision.promote and decision.reason.startswith("Not served: not clearly better than naive")
    assert decision.versus["naive"]["low"] <= 0 <= decision.versus["naive"]["high"]


def test_a_clearly_better_forecast_is_served_unless_the_active_one_is_better_still():
    rng, actual = _spend()
    naive = actual + rng.normal(0, 60, len(actual))
    candidate = actual + rng.normal(0, 20, len(actual))
    served = promotion_decide(_minus_mae, actual, candidate, metric="minus MAE", baselines={"naive": naive})
    assert served.promote and served.versus["naive"]["low"] > 0 and "Served" in served.reason
    active = actual + rng.normal(0, 5, len(actual))
    kept = promotion_decide(_minus_mae, actual, candidate, metric="minus MAE", baselines={"naive": naive},
                            active=active, active_name="active v1")  # fmt: skip
    assert not kept.promote and kept.reason.startswith("Kept active v1") and kept.versus["active v1"]["difference"] < 0


# One shallow boosting round: about the population mean for everyone, far worse than "the same
# as the last 90 days" for members who buy on a steady rhythm.
WORSE = ForecastConfig(max_iter=1, learning_rate=0.01, max_leaf_nodes=2)


@pytest.fixture(scope="module")
def refused_for_the_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """A shop after spend_forecast_train(config=WORSE), which both database tests start from: built
    and trained once for the module (see kept_until_exit: each test's writes are rolled back after it)."""
    folder = tmp_path_factory.mktemp("forecast-promotion")
    with kept_until_exit(django_db_blocker, folder) as write:
        today = timezone.localdate()
        write(lambda: build_shop(today=today, members=300, seed=7))
        yield today, write(lambda: spend_forecast_train(as_of=today, config=WORSE)).pk, folder


@pytest.fixture
def worse_forecast(refused_for_the_module, settings, tmp_path):
    """(today, the version spend_forecast_train(as_of=today, config=WORSE) stored)."""
    today, pk, folder = refused_for_the_module
    artifacts_copied(folder, settings, tmp_path)
    return today, MemberModelVersion.objects.get(pk=pk)


@pytest.mark.django_db
def test_a_trained_forecast_worse_than_naive_is_stored_but_the_naive_forecast_is_served(worse_forecast):
    today, version = worse_forecast  # spend_forecast_train(as_of=today, config=WORSE)
    backtest = version.metrics["backtest"]
    assert backtest["model"]["mae"] > backtest["naive_last_90_days"]["mae"]
    assert not version.active and version.note.startswith("Not served: not clearly better than naive")
    assert version.metrics["promotion"]["promote"] is False
    assert version.metrics["promotion"]["versus"]["naive (last 90 days)"]["difference"] < 0
    # The refused model never scores: the naive forecast does, as a version of its own, and says so.
    served = member_model_active(kind=MemberModelKind.FORECAST)
    assert served.version == version.version + 1 and served.metrics["served"] == "baseline"
    assert served.note.startswith("Baseline served: the spend forecast (v1) is not yet clearly better than the naive")
    # Its backtest is the naive forecast's own figures.
    assert served.metrics["backtest"]["model"]["mae"] == pytest.approx(backtest["naive_last_90_days"]["mae"])
    member_features_compute(as_of=today)
    assert spend_forecast_score(as_of=today) == 300
    rows = {r.member_id: r for r in SpendForecast.objects.filter(as_of=today)}
    assert {r.model_version_id for r in rows.values()} == {served.pk}
    last_90 = dict(MemberFeatures.objects.filter(as_of=today).values_list("member_id", "monetary_90"))
    for member_id, row in rows.items():
        assert float(row.expected_spend) == pytest.approx(float(last_90[member_id] or 0), abs=0.01)
        assert 0 <= row.spend_low <= row.spend_high
    assert MemberModelVersion.objects.filter(kind=MemberModelKind.FORECAST).count() == 2


@pytest.mark.django_db
def test_a_served_naive_forecast_gives_way_to_a_trained_version_and_is_not_served_over_one(worse_forecast):
    today, refused = worse_forecast  # spend_forecast_train(as_of=today, config=WORSE)
    baseline = member_model_active(kind=MemberModelKind.FORECAST)
    assert baseline.metrics["served"] == "baseline"
    # A version the promotion rule serves replaces the baseline (the registry's own path).
    trained = member_model_register(
        kind=MemberModelKind.FORECAST, as_of=today, metrics=refused.metrics, backtest_score=-1.0,
        save=lambda path: Path(shutil.copyfile(refused.artifact_path, path)),
        decision=PromotionDecision(True, "Served: clearly better than every baseline (...).", "minus MAE"),
    )  # fmt: skip
    assert member_model_active(kind=MemberModelKind.FORECAST).pk == trained.pk
    baseline.refresh_from_db()
    assert not baseline.active
    # With a trained version active, a refused candidate leaves it scoring: no baseline over it.
    spend_forecast_train(as_of=today, config=WORSE)
    assert member_model_active(kind=MemberModelKind.FORECAST).pk == trained.pk
    assert MemberModelVersion.objects.filter(kind=MemberModelKind.FORECAST, metrics__served="baseline").count() == 1
