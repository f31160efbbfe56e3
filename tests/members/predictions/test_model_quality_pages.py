"""The figures a real churn and forecast training stores are the ones the web pages show."""

import pytest
from django.contrib.auth.models import Group
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.html import escape

from members.accounts.roles import MERCHANDISERS_GROUP
from members.models import ChurnScore
from members.predictions.services.churn import churn_score, churn_train, training_windows
from members.predictions.services.member_features import member_features_compute
from members.predictions.services.spend_forecast import spend_forecast_train
from tests.factories import UserFactory
from tests.members.predictions.shop import build_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def merch_client(client):
    user = UserFactory(username="merch", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    client.force_login(user)
    return client


def test_trained_versions_show_their_backtest_and_baselines(merch_client, settings, tmp_path):
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path
    today = timezone.localdate()
    build_shop(today=today, members=400)
    windows = training_windows(as_of=today)
    churn = churn_train(as_of=today, windows=windows)
    forecast = spend_forecast_train(as_of=today, windows=windows)

    html = merch_client.get("/models/").content.decode()  # figures rounded as Django's floatformat does

    backtest = churn.metrics["backtest"]
    row = html[html.index(f'id="member-model-{churn.pk}"') :]
    row = row[: row.index("</tr>")]
    # Served or not is the promotion rule's call (clearly better than every baseline); the page says which.
    assert f'data-status="{"active" if churn.active else "candidate"}"' in row
    assert escape(churn.note) in row
    assert f'<td data-metric="roc_auc">{floatformat(backtest["model"]["roc_auc"], 3)}</td>' in row
    assert f'<td data-metric="lift">{floatformat(backtest["model"]["lift_top_decile"], 2)}</td>' in row
    assert f'<td data-metric="recency">{floatformat(backtest["recency"]["roc_auc"], 3)} · ' in row
    assert "bgnbd" in row and "churned" in row
    mae = forecast.metrics["backtest"]["model"]["mae"]
    assert f'<td data-metric="mae">{floatformat(mae, 2)}</td>' in html

    if not churn.active:
        return  # nothing is scored, so the member page has no backtest line to show
    member_features_compute(as_of=today)
    churn_score(as_of=today)
    member = ChurnScore.objects.select_related("member").first().member
    page = merch_client.get(f"/members/{member.external_id}/").content.decode()
    assert f"churn-v1: backtest ROC-AUC {floatformat(backtest['model']['roc_auc'], 2)}" in page
