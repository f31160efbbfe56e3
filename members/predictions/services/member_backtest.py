"""The member backtest: how would every member model have done on the shop's own data after a
past date? `manage.py backtest --as-of D --horizon-days 90`, the member_backtest.run Celery task
and the Models page's "Backtest" section all call member_backtest_run.

For a cut-off D (midnight UTC after D): the models are built as of D exactly as the nightly
refresh would build them (churn_recipe_fit / spend_forecast_recipe_fit from labelled windows that
end by D: nothing after D is read), score the members who had bought before D, and are compared
with what those members did in the `horizon_days` days after D, next to the baselines scored on
the same members in the same run:
- churn (no order in the horizon): ROC-AUC, PR-AUC, expected calibration error, Brier; recency
  and BG/NBD (P(alive), expected purchases);
- spend in the horizon: MAE and total bias; naive "same as the last 90 days";
- recommendations (members.predictions.services.member_backtest_recs): Recall@10, NDCG@10 vs buy-again,
  ALS and popularity.
Each comparison carries a 95 % paired bootstrap interval (ml.member_models.promotion). The run
writes features snapshots for D and the window dates (as a refresh for those dates would) but no
scores, no model versions and no recommendations: the live ones stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
from django.db.models import Max
from django.utils import timezone

from members.models import MemberBacktest, MemberBacktestStatus, Order
from members.predictions.features import features_cutoff
from members.predictions.selectors.member_features import OUTCOME_DAYS
from members.predictions.services.churn import churn_recipe_fit
from members.predictions.services.churn_registry import json_safe
from members.predictions.services.member_backtest_recs import recommendation_backtest
from members.predictions.services.member_windows import TrainingWindows
from members.predictions.services.spend_forecast import minus_mae, spend_forecast_recipe_fit
from members.task_queue import task_send_on_commit
from ml.member_models.churn import churn_backtest_metrics
from ml.member_models.forecast import forecast_backtest_metrics
from ml.member_models.metrics import roc_auc
from ml.member_models.promotion import promotion_decide

ProgressHook = Callable[[str], None]


class BacktestDateError(ValueError):
    """The as-of date leaves no complete horizon of data after it."""


def member_backtest_check_date(*, as_of: date, horizon_days: int) -> None:
    """Refuse, in words, a cut-off whose horizon runs past the newest order (or today)."""
    newest = Order.objects.aggregate(newest=Max("placed_at"))["newest"]
    if newest is None:
        raise BacktestDateError("The shop has no orders yet: there is nothing to backtest.")
    end = features_cutoff(as_of=as_of) + timedelta(days=horizon_days)
    if end > newest + timedelta(days=1):  # the horizon is not over (or the data stops before it ends)
        last = (newest - timedelta(days=horizon_days)).date()
        raise BacktestDateError(f"--as-of {as_of} + {horizon_days} days runs past the data; the latest cut-off "
                                f"with a full horizon is {last}.")  # fmt: skip


def member_backtest_compute(*, as_of: date, horizon_days: int = OUTCOME_DAYS, recommendations: bool = True,
                            on_step: ProgressHook | None = None) -> dict:  # fmt: skip
    """Every member model against what happened next (see the module docstring): the metrics dict."""
    say = on_step or (lambda _text: None)
    windows = TrainingWindows(as_of=as_of, horizon_days=horizon_days)
    target = windows.window(as_of)
    keep = [i for i, row in enumerate(target.rows) if row["lifetime_orders"]]  # members with a history
    rows = [target.rows[i] for i in keep]
    churned = np.array([target.churned[i] for i in keep], dtype=int)
    spend = np.array([target.spend[i] for i in keep], dtype=float)
    result: dict = {"as_of": str(as_of), "horizon_days": horizon_days, "members_with_history": len(rows),
                    "churn_rate": round(float(churned.mean()), 4) if len(rows) else None}  # fmt: skip
    say(f"{len(rows)} members with a history before {as_of}")
    if len(rows) and len(set(churned.tolist())) == 2:
        model = churn_recipe_fit(windows=windows, model_date=as_of)
        metrics, scores = churn_backtest_metrics(model, rows, churned)
        baselines = {name: scores[name] for name in ("recency", "bgnbd_expected_purchases") if name in scores}
        metrics["promotion"] = promotion_decide(roc_auc, churned, scores["model"], metric="ROC-AUC",
                                                baselines=baselines).as_dict()  # fmt: skip
        result["churn"] = metrics
        say(f"churn: ROC-AUC {metrics['model']['roc_auc']}, ECE {metrics['model']['ece']}")
    else:
        result["churn"] = {"error": "needs members who bought and members who did not in the horizon"}
    if len(rows):
        forecast = spend_forecast_recipe_fit(windows=windows, model_date=as_of)
        metrics, predictions = forecast_backtest_metrics(forecast, rows, spend)
        metrics["promotion"] = promotion_decide(minus_mae, spend, predictions["model"], metric="minus MAE",
                                                baselines={"naive (last 90 days)": predictions["naive"]}).as_dict()
        result["forecast"] = metrics
        say(f"forecast: MAE {metrics['model']['mae']} vs naive {metrics['naive_last_90_days']['mae']}, "
            f"total bias {metrics['model']['total_bias_pct']}%")
    if recommendations:
        result["recommendations"] = recommendation_backtest(as_of=as_of, horizon_days=horizon_days)
        say(f"recommendations: {result['recommendations'].get('methods')}")
    return json_safe(result)


def member_backtest_create(*, as_of: date, horizon_days: int = OUTCOME_DAYS) -> MemberBacktest:
    """A queued run (the date is checked now, so a bad one is refused before any work)."""
    member_backtest_check_date(as_of=as_of, horizon_days=horizon_days)
    return MemberBacktest.objects.create(as_of=as_of, horizon_days=horizon_days)


def member_backtest_run(*, backtest_id: int, on_step: ProgressHook | None = None) -> MemberBacktest | None:
    """Claim a queued run (conditional UPDATE: two workers never run it twice), compute it, and
    store the metrics or the error in words. Returns None when someone else claimed it."""
    claimed = MemberBacktest.objects.filter(pk=backtest_id, status=MemberBacktestStatus.QUEUED).update(
        status=MemberBacktestStatus.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return None
    run = MemberBacktest.objects.get(pk=backtest_id)
    try:
        metrics = member_backtest_compute(as_of=run.as_of, horizon_days=run.horizon_days, on_step=on_step)
    except Exception as exc:  # recorded for the Models page; the live models are untouched
        MemberBacktest.objects.filter(pk=run.pk).update(
            status=MemberBacktestStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise
    MemberBacktest.objects.filter(pk=run.pk).update(
        status=MemberBacktestStatus.SUCCEEDED, metrics=metrics, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def member_backtest_enqueue(*, as_of: date, horizon_days: int = OUTCOME_DAYS) -> MemberBacktest:
    """Create a queued run and send it to a worker once the row is committed."""
    run = member_backtest_create(as_of=as_of, horizon_days=horizon_days)
    task_send_on_commit("members.predictions.run_backtest", (run.pk,), robust=False)
    return run
