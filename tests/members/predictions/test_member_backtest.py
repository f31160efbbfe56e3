"""The member backtest as a shop owner meets it: `manage.py backtest`, the Celery task behind the
Models page's "Run backtest" button, and the section that shows the result."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from members.models import (
    MemberBacktest,
    MemberBacktestStatus,
    MemberModelVersion,
    Order,
    OrderItem,
    Product,
    Recommendation,
)
from tests.members.predictions.shared_db import kept_until_exit
from tests.members.predictions.shop import build_shop
from tests.members.web.conftest import merch_client, merchandiser  # noqa: F401  (fixtures reused)
from tests.ml.conftest import tiny_base_model  # noqa: F401  (fixture reused)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shop_for_the_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """The shop, built once for this module's tests (see kept_until_exit: each test's writes are still
    rolled back after it)."""
    with kept_until_exit(django_db_blocker, tmp_path_factory.mktemp("backtest")) as write:
        today = timezone.localdate()
        yield {**write(lambda: _shop_with_order_lines(today)), "today": today}


def _shop_with_order_lines(today):
    shop = build_shop(today=today, members=300, seed=3)
    # build_shop's orders have no lines: give each one, from five products, each member a favourite
    # (bought in two of three orders), so the next-buy truth and buy-again have something to find.
    products = [shop["product"], *(Product.objects.create(sku=f"SHOP-{n}", title=f"Item {n}", category="Tops",
                                                          price=Decimal(20)) for n in range(2, 6))]  # fmt: skip
    OrderItem.objects.bulk_create(
        OrderItem(order=order, line_number=1, quantity=1, unit_price=order.total,
                  product=products[order.member_id % 5 if n % 3 else (order.member_id + n) % 5])
        for n, order in enumerate(Order.objects.order_by("id"))
    )  # fmt: skip
    return shop


@pytest.fixture
def shop(shop_for_the_module, settings, tmp_path, tiny_base_model):  # noqa: F811
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path
    settings.RECS_BASE_MODEL = str(tiny_base_model)
    return shop_for_the_module


def test_backtest_command_scores_every_model_against_what_happened_next(shop):
    as_of = shop["today"] - timedelta(days=100)
    out = StringIO()
    call_command("backtest", "--as-of", as_of.isoformat(), "--horizon-days", "90", stdout=out)
    text = out.getvalue()
    run = MemberBacktest.objects.get()
    assert run.status == MemberBacktestStatus.SUCCEEDED and run.as_of == as_of and run.horizon_days == 90
    churn, forecast, recs = run.metrics["churn"], run.metrics["forecast"], run.metrics["recommendations"]
    assert {"roc_auc", "pr_auc", "ece", "brier"} <= set(churn["model"])
    assert churn["recency"]["roc_auc"] is not None and "expected_purchases" in churn["bgnbd"]
    assert churn["promotion"]["versus"]["recency"]["low"] <= churn["promotion"]["versus"]["recency"]["high"]
    assert {"mae", "total_bias_pct"} <= set(forecast["model"]) and forecast["naive_last_90_days"]["mae"] > 0
    assert recs["members"] > 0 and {"ours", "buy_again", "als", "popularity"} <= set(recs["methods"])
    assert 0 < recs["methods"]["buy_again"]["recall_at_10"] <= 1 and set(recs["ours_vs"]) == {"buy_again", "als", "popularity"}
    assert "churn: ROC-AUC" in text and "forecast: MAE" in text and "Recall@10/NDCG@10" in text
    # Nothing live changed: no model version, no stored recommendation.
    assert not MemberModelVersion.objects.exists() and not Recommendation.objects.exists()


def test_a_cutoff_whose_horizon_is_not_over_is_refused_in_words(shop):
    with pytest.raises(CommandError, match="runs past the data; the latest cut-off with a full horizon is"):
        call_command("backtest", "--as-of", (shop["today"] - timedelta(days=30)).isoformat(), stdout=StringIO())
    assert not MemberBacktest.objects.exists()


def test_models_page_starts_a_backtest_on_a_worker_and_shows_it(shop, merch_client, django_capture_on_commit_callbacks):  # noqa: F811
    as_of = shop["today"] - timedelta(days=100)
    with django_capture_on_commit_callbacks(execute=True):  # the Celery task runs eagerly on commit
        response = merch_client.post("/models/backtests/start/", {"as_of": as_of.isoformat(), "horizon_days": 90},
                                     HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200
    run = MemberBacktest.objects.get()
    assert run.status == MemberBacktestStatus.SUCCEEDED
    html = merch_client.get("/models/").content.decode()
    assert 'id="member-backtests"' in html and f'id="member-backtest-{run.pk}"' in html
    row = html[html.index(f'id="member-backtest-{run.pk}"'):]
    row = row[: row.index("</tr>")]
    assert 'data-status="succeeded"' in row and as_of.isoformat() in row
    assert f"{run.metrics['churn']['model']['roc_auc']:.3f}" in row
    refused = merch_client.post("/models/backtests/start/", {"as_of": shop["today"].isoformat(), "horizon_days": 90},
                                HTTP_HX_REQUEST="true")  # fmt: skip
    assert "runs past the data" in refused.content.decode() and MemberBacktest.objects.count() == 1
