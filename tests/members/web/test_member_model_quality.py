"""Churn and spend-forecast quality on the web: the Models page's "Member models" section (every
version with its backtest figures and same-run baselines) and one line on the member page."""

from datetime import date

import pytest
from django.utils import timezone

from members.models import ChurnScore, MemberModelVersion
from tests.factories import MemberFactory, tier

pytestmark = pytest.mark.django_db
ACCESS_QUERIES = 3  # session, user, group check
# runs (+creator), review versions, sentiment agreement, topic agreement, topic versions, reviews
# with topic verdicts, member model versions, member backtests
MODELS_PAGE_QUERIES = 8


def churn_metrics(*, auc: float, lift: float, bgnbd_error: str = "") -> dict:
    """Stored churn metrics, shaped as members.predictions.services.churn.churn_train writes them."""
    bgnbd = {"error": bgnbd_error} if bgnbd_error else {
        "roc_auc": 0.4102, "pr_auc": 0.4467, "lift_top_decile": 1.1926,
        "expected_purchases": {"roc_auc": 0.7102, "pr_auc": 0.5871, "lift_top_decile": 1.5392},
        "params": {"r": 0.779}, "penalizer": 0.001,
    }  # fmt: skip
    return {
        "backtest": {
            "model": {
                "roc_auc": auc,
                "pr_auc": 0.588,
                "lift_top_decile": lift,
                "brier": 0.2215,
                "reliability": [],
            },
            "recency": {"roc_auc": 0.6553, "pr_auc": 0.5669, "lift_top_decile": 1.4976},
            "bgnbd": bgnbd,
            "train_rows": 2843,
            "eval_rows": 3387,
            "train_churn_rate": 0.5234,
            "eval_churn_rate": 0.4255,
            "config": {"seed": 7},
        },
        "windows": {"train_as_of": "2026-01-01", "eval_as_of": "2026-04-01", "label_days": 90},
        "backtest_score": auc,
    }


def forecast_metrics(*, mae: float) -> dict:
    """Stored forecast metrics, shaped as members.predictions.services.spend_forecast.spend_forecast_train writes them."""
    return {
        "backtest": {
            "model": {"mae": mae, "rmse": 88.25, "interval_coverage": 0.83},
            "naive_last_90_days": {"mae": 61.5, "rmse": 120.75},
            "mae_vs_naive": round(mae / 61.5, 4),
            "train_rows": 2843,
            "eval_rows": 3387,
            "eval_mean_spend": 54.3,
        },
        "backtest_score": -mae,
    }


def churn_version(number: int, *, active: bool, note: str, auc: float = 0.7131, lift: float = 1.4907, **kw):
    return MemberModelVersion.objects.create(
        kind="churn", version=number, as_of=date(2026, 6, number), artifact_path=f"/tmp/churn-v{number}",
        metrics=churn_metrics(auc=auc, lift=lift, **kw), active=active, note=note,
    )  # fmt: skip


@pytest.fixture
def versions():
    """churn v1 replaced by v2, v3 backtested worse than v2 (kept as a candidate); forecast v1 active."""
    churn_version(1, active=False, note="First version: activated.", auc=0.65, lift=1.2)
    active = churn_version(2, active=True, note="Activated: backtest 0.7131 >= v1's 0.6500.")
    churn_version(3, active=False, note="Kept v2 active: backtest 0.6900 < its 0.7131.", auc=0.69, lift=1.31,
                  bgnbd_error="BG/NBD did not converge")  # fmt: skip
    MemberModelVersion.objects.create(
        kind="forecast", version=1, as_of=date(2026, 6, 2), artifact_path="/tmp/forecast-v1",
        metrics=forecast_metrics(mae=48.125), active=True, note="First version: activated.",
    )  # fmt: skip
    return active


def _row(html: str, pk: int) -> str:
    start = html.index(f'id="member-model-{pk}"')
    return html[start : html.index("</tr>", start)]


def test_models_page_shows_each_churn_version_with_its_backtest_and_baselines(merch_client, versions):
    html = merch_client.get("/models/").content.decode()

    assert 'id="member-models"' in html and "Member models" in html
    rows = {v.version: _row(html, v.pk) for v in MemberModelVersion.objects.filter(kind="churn")}
    newest_first = html.index(f'id="member-model-{versions.pk + 1}"') < html.index(
        f'id="member-model-{versions.pk}"'
    )
    assert newest_first
    active = rows[2]
    assert 'data-status="active"' in active and "churn-v2" in active and "as of 2026-06-02" in active
    assert '<td data-metric="roc_auc">0.713</td>' in active
    assert '<td data-metric="pr_auc">0.588</td>' in active
    assert '<td data-metric="lift">1.49</td>' in active
    assert '<td data-metric="recency">0.655 · 1.50</td>' in active
    assert (
        ">0.410 · 1.19<" in active and "by expected purchases: AUC 0.710" in active
    )  # BG/NBD, both rankings
    assert "3387" in active and "42.5% churned" in active
    assert (
        'data-status="candidate"' in rows[3] and "Kept v2 active: backtest 0.6900 &lt; its 0.7131." in rows[3]
    )
    assert 'title="BG/NBD did not converge">— · —<' in rows[3]  # the baseline could not be fitted
    assert 'data-status="retired"' in rows[1] and '<td data-metric="roc_auc">0.650</td>' in rows[1]


def test_models_page_shows_the_forecasts_errors_next_to_the_naive_forecast(merch_client, versions):
    html = merch_client.get("/models/").content.decode()

    row = _row(html, MemberModelVersion.objects.get(kind="forecast").pk)
    assert 'data-status="active"' in row and "forecast-v1" in row
    assert '<td data-metric="mae">48.13</td>' in row and '<td data-metric="rmse">88.25</td>' in row
    assert (
        '<td data-metric="naive">61.50 · 120.75</td>' in row
        and '<td data-metric="mae_vs_naive">0.78</td>' in row
    )
    assert '<td data-metric="coverage">83.0%</td>' in row and "mean spend 54.30" in row


def test_models_page_says_when_no_member_model_is_trained_yet(merch_client):
    html = merch_client.get("/models/").content.decode()
    assert "No churn model yet" in html and "No spend forecast yet" in html


@pytest.mark.parametrize("extra_versions", [0, 15])
def test_member_models_cost_one_query_however_many_versions(
    merch_client, versions, django_assert_num_queries, extra_versions
):
    for number in range(4, 4 + extra_versions):
        churn_version(number, active=False, note=f"Kept v2 active: backtest 0.5 < its 0.7131 ({number}).")
    merch_client.get("/models/")  # warm the session

    with django_assert_num_queries(ACCESS_QUERIES + MODELS_PAGE_QUERIES):
        html = merch_client.get("/models/").content.decode()

    churn_rows = html.count('id="member-model-') - 1  # one forecast version
    assert churn_rows == min(3 + extra_versions, 10)  # the newest ten of each kind
    assert f"churn-v{3 + extra_versions}" in html


def test_member_page_shows_the_churn_models_quality_next_to_the_risk(
    merch_client, versions, django_assert_num_queries
):
    member = MemberFactory(tier=tier("basic"))
    ChurnScore.objects.create(
        member=member, as_of=date(2026, 6, 30), probability=0.72, model_version=versions, scored_at=timezone.now(),
        top_reasons=[{"feature": "days_without_order", "text": "no order for 140 days"}],
    )  # fmt: skip
    merch_client.get(f"/members/{member.external_id}/")  # warm the session

    # access; member, churn score with its model version (joined), forecast, policy, ladder, window
    # metrics, orders, reviews, tier changes, segment history: the model line costs no query
    with django_assert_num_queries(ACCESS_QUERIES + 10):
        html = merch_client.get(f"/members/{member.external_id}/").content.decode()

    start = html.index('id="churn-model-quality"')
    line = html[start : html.index("</p>", start)]
    assert "churn-v2:" in line and "ROC-AUC 0.71" in line and "lift 1.5× in the riskiest 10%" in line
    assert "days since last order alone: AUC 0.66" in line and "no longer active" not in line
    assert 'href="/models/#member-models"' in line


def test_member_page_says_when_its_score_came_from_a_replaced_model(merch_client, versions):
    member = MemberFactory(tier=tier("basic"))
    old = MemberModelVersion.objects.get(kind="churn", version=1)
    ChurnScore.objects.create(member=member, as_of=date(2026, 6, 30), probability=0.4, model_version=old,
                              scored_at=timezone.now())  # fmt: skip
    html = merch_client.get(f"/members/{member.external_id}/").content.decode()
    assert "churn-v1 (no longer active): backtest ROC-AUC 0.65, lift 1.2×" in html


def test_member_page_without_a_churn_score_has_no_model_line(merch_client, versions):
    member = MemberFactory(tier=tier("basic"), joined_at=timezone.now())
    html = merch_client.get(f"/members/{member.external_id}/").content.decode()
    assert "Not scored yet." in html and "churn-model-quality" not in html
