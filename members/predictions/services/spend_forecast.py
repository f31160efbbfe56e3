"""Spend forecast for the 90 days after as_of: train (backtested against "same as the last 90
days"), score all members, and flag tier consequences.

Flags, from the forecast and the member's CURRENT tier (the tier table has no history, so a
replay of an old date uses today's tiers), over the tier policy's qualifying window W:
- likely_to_reach_next_tier: spend in the W days up to as_of + expected spend >= the next tier's
  min_spend (the next tier up the ladder; none at the top);
- at_risk_of_downgrade: the current tier has a min_spend, and the spend that will still be inside
  the window 90 days from now (orders in the last W-90 days) + expected spend is below it.
Only spend thresholds are forecast; order-count thresholds are the tier evaluation's business.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from members.core.models.order import REVENUE_STATUSES
from members.models import MemberModelKind, MemberModelVersion, SpendForecast
from members.predictions.features import features_cutoff
from members.predictions.selectors.member_features import OUTCOME_DAYS, member_feature_rows
from members.predictions.services.churn_registry import (
    json_safe,
    member_model_active,
    member_model_register,
    member_model_register_baseline,
    scores_upsert,
)
from members.predictions.services.member_features import SAME_PERIOD_DAYS
from members.predictions.services.member_model_compare import active_backtest_predictions
from members.predictions.services.member_windows import TrainingWindows, training_windows
from ml.member_models.forecast import (
    ForecastConfig,
    ForecastModel,
    forecast_backtest_metrics,
    forecast_fit,
    forecast_seasonal_factor,
)
from ml.member_models.promotion import promotion_decide
from ml.member_models.served_baselines import forecast_artifact_load, naive_forecast_fit

FORECAST_COLUMNS = ("member_id", "as_of", "expected_spend", "spend_low", "spend_high", "model_version_id",
                    "scored_at", "likely_to_reach_next_tier", "at_risk_of_downgrade")  # fmt: skip
DEFAULT_WINDOW_DAYS = 365

# Set-based and proportional to what changes: each member's in-window spend is aggregated once from
# the orders (a hash join, not a probe per member) or read from the day's feature snapshot, which
# holds the same sums (_SPEND_FROM_SNAPSHOT), the next tier up comes from lead() over the
# ladder, and only rows whose flags differ from what the upsert wrote are rewritten.
_SPEND_FROM_ORDERS = """
    SELECT o.member_id, sum(o.total) AS window_spend,
        sum(o.total) FILTER (WHERE o.placed_at >= %(kept_from)s) AS kept_spend
    FROM members_order o
    WHERE o.status = ANY(%(revenue)s) AND o.placed_at >= %(window_from)s AND o.placed_at < %(cutoff)s
      AND (%(member_ids)s::bigint[] IS NULL OR o.member_id = ANY(%(member_ids)s::bigint[]))
    GROUP BY o.member_id
"""
# The same two sums from the day's feature snapshot, which already aggregated these orders: with a
# 365-day window, window spend is monetary_365 and the spend still in the window 90 days from now
# (the last 275 days) is monetary_365 minus the 90 days that began 365 days ago
# (monetary_same_period_ly). Used only when the window and the spans match (_spend_sql).
_SPEND_FROM_SNAPSHOT = """
    SELECT f.member_id, f.monetary_365 AS window_spend, f.monetary_365 - f.monetary_same_period_ly AS kept_spend
    FROM members_memberfeatures f
    WHERE f.as_of = %(as_of)s
      AND (%(member_ids)s::bigint[] IS NULL OR f.member_id = ANY(%(member_ids)s::bigint[]))
"""
_FLAGS_SQL = """
WITH spend AS ({spend}),
ladder AS (
    SELECT id, min_spend AS current_min, lead(min_spend) OVER (ORDER BY rank) AS next_min FROM members_tier
),
flags AS (
    SELECT f.id,
        (t.next_min IS NOT NULL AND coalesce(s.window_spend, 0) + f.expected_spend >= t.next_min) AS likely,
        (t.current_min > 0 AND coalesce(s.kept_spend, 0) + f.expected_spend < t.current_min) AS at_risk
    FROM members_spendforecast f
    JOIN members_member m ON m.id = f.member_id
    JOIN ladder t ON t.id = m.tier_id
    LEFT JOIN spend s ON s.member_id = f.member_id
    WHERE f.as_of = %(as_of)s AND (%(member_ids)s::bigint[] IS NULL OR f.member_id = ANY(%(member_ids)s::bigint[]))
)
UPDATE members_spendforecast f
SET likely_to_reach_next_tier = flags.likely, at_risk_of_downgrade = flags.at_risk
FROM flags
WHERE f.id = flags.id
  AND (f.likely_to_reach_next_tier, f.at_risk_of_downgrade) IS DISTINCT FROM (flags.likely, flags.at_risk)
"""


def _spend_sql(window_days: int, *, from_snapshot: bool) -> str:
    if from_snapshot and window_days == 365 and SAME_PERIOD_DAYS == OUTCOME_DAYS:
        return _SPEND_FROM_SNAPSHOT
    return _SPEND_FROM_ORDERS


def _qualifying_window_days() -> int:
    try:
        from members.tiers.services.tier_policy import tier_policy_active
    except ImportError:  # no tier policy module in this checkout: the ladder's default window
        return DEFAULT_WINDOW_DAYS
    return tier_policy_active().qualifying_window_days


def spend_forecast_recipe_fit(*, windows: TrainingWindows, model_date: date,
                              config: ForecastConfig | None = None) -> ForecastModel:  # fmt: skip
    """The forecast for `model_date`: fitted on the most recent labelled window, times last year's
    seasonal change when the data reaches back a year (members.predictions.services.member_windows)."""
    latest = windows.latest(before=model_date)
    if not latest.rows:
        raise ValueError(f"No members had joined by {latest.as_of}; the forecast needs 180 days of history.")
    model = forecast_fit(latest.rows, latest.spend, config)
    seasonal = windows.seasonal(model_date)
    if seasonal is not None:
        season, before = seasonal
        model.seasonal_factor = forecast_seasonal_factor(
            model, season_rows=season.rows, season_spend=season.spend, before_rows=before.rows,
            before_spend=before.spend,
        )  # fmt: skip
    return model


def minus_mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Higher-is-better forecast score for the promotion rule: minus the mean absolute error."""
    return -float(np.mean(np.abs(predicted - actual)))


def spend_forecast_train(*, as_of: date, windows: TrainingWindows | None = None,
                         config: ForecastConfig | None = None) -> MemberModelVersion:  # fmt: skip
    """Backtest and train the forecast for date T = `as_of` (windows as in members.predictions.services.churn);
    register it, higher-is-better score = minus the backtest MAE. It is never activated when its
    backtest does not clearly beat the naive forecast (ml.member_models.promotion); while no trained
    version is active, the naive forecast is then served instead (spend_forecast_baseline_serve)."""
    w = windows or training_windows(as_of=as_of)
    if not w.train_rows or not w.eval_rows:
        raise ValueError(f"No members had joined by {w.train_as_of}; the forecast needs 180 days of history.")
    backtest_model = spend_forecast_recipe_fit(windows=w, model_date=w.eval_as_of, config=config)
    metrics, predictions = forecast_backtest_metrics(backtest_model, w.eval_rows, w.eval_spend)
    production = spend_forecast_recipe_fit(windows=w, model_date=as_of, config=config)
    active, active_name = active_backtest_predictions(
        kind=MemberModelKind.FORECAST, eval_as_of=w.eval_as_of, rows=w.eval_rows,
        predict=lambda m, rows: m.predict(rows)[0],
    )  # fmt: skip
    decision = promotion_decide(
        minus_mae, np.asarray(w.eval_spend, dtype=float), predictions["model"], metric="minus MAE",
        baselines={"naive (last 90 days)": predictions["naive"]}, active=active, active_name=active_name,
    )  # fmt: skip
    metrics = json_safe({
        "backtest": metrics,
        "windows": {"train_as_of": str(w.train_as_of), "eval_as_of": str(w.eval_as_of), "horizon_days": OUTCOME_DAYS},
        "production_trained_on": str(w.eval_as_of),
        "seasonal_factor": round(production.seasonal_factor, 4),
    })  # fmt: skip
    candidate = member_model_register(kind=MemberModelKind.FORECAST, as_of=as_of, metrics=metrics,
                                      backtest_score=-float(metrics["backtest"]["model"]["mae"]), save=production.save,
                                      save_backtest=backtest_model.save, decision=decision)  # fmt: skip
    if not decision.promote:
        spend_forecast_baseline_serve(windows=w, as_of=as_of, candidate=candidate)
    return candidate


def spend_forecast_baseline_serve(*, windows: TrainingWindows, as_of: date,
                                  candidate: MemberModelVersion) -> MemberModelVersion | None:  # fmt: skip
    """Serve the naive forecast (the last 90 days' spend, as in the backtest) as a version of its
    own while no trained version is active (churn_registry.member_model_register_baseline), its
    10-90 % range from the residuals on the latest labelled window. Returns the served version, or
    None when a trained one keeps scoring."""
    w = windows
    earlier, latest = w.latest(before=w.eval_as_of), w.latest(before=as_of)
    backtest_baseline = naive_forecast_fit(earlier.rows, earlier.spend)
    metrics, _ = forecast_backtest_metrics(backtest_baseline, w.eval_rows, w.eval_spend)
    production = naive_forecast_fit(latest.rows, latest.spend)
    mae = float(metrics["model"]["mae"])
    note = (f"Baseline served: the spend forecast (v{candidate.version}) is not yet clearly better than the naive "
            f"forecast on your history, so MemberHub serves the naive estimate (the next 90 days' spend equals the "
            f"last 90 days'; backtest MAE {mae:.2f}). A trained version replaces it once it is clearly better.")  # fmt: skip
    return member_model_register_baseline(
        kind=MemberModelKind.FORECAST, as_of=as_of, baseline="naive (last 90 days)", backtest_score=-mae,
        metrics={"backtest": metrics, "windows": candidate.metrics.get("windows"),
                 "production_trained_on": str(latest.as_of), "seasonal_factor": 1.0},
        save=production.save, save_backtest=backtest_baseline.save, note=note,
    )  # fmt: skip


def spend_forecast_score(*, as_of: date, member_ids: list[int] | None = None) -> int:
    """Forecast members' 90-day spend as of `as_of` with the active model, upsert SpendForecast rows
    and set their tier flags (spend_forecast_flags_set). The features for `as_of` must exist.
    Returns rows written."""
    version = member_model_active(kind=MemberModelKind.FORECAST)
    model = forecast_artifact_load(Path(version.artifact_path))
    rows = member_feature_rows(as_of=as_of, member_ids=member_ids)
    if not rows:
        return 0
    expected, low, high = model.predict(rows)
    now = timezone.now()
    written = scores_upsert(
        table=SpendForecast._meta.db_table,
        columns=FORECAST_COLUMNS,
        rows=((row["member_id"], as_of, round(float(e), 2), round(float(lo), 2), round(float(hi), 2), version.pk,
               now, False, False) for row, e, lo, hi in zip(rows, expected, low, high, strict=True)),
        keep_on_conflict=("likely_to_reach_next_tier", "at_risk_of_downgrade"),
    )  # fmt: skip
    # The forecasts were just made from the snapshot of `as_of`, so its sums are the orders they saw.
    spend_forecast_flags_set(as_of=as_of, member_ids=member_ids, from_snapshot=True)
    return written


def spend_forecast_flags_set(*, as_of: date, member_ids: list[int] | None = None, from_snapshot: bool = False) -> int:
    """Set the tier flags of the forecasts of `as_of` (all, or `member_ids`) from their expected
    spend, the members' current tiers and their orders (see the module docstring); one UPDATE,
    after an ANALYZE when a whole day was just written. Returns the rows whose flags changed.
    `from_snapshot`: the forecasts were scored from the MemberFeatures snapshot of `as_of`, so read
    the in-window sums from it instead of aggregating the orders again (same sums; the 365-day
    window only, see _SPEND_FROM_SNAPSHOT)."""
    window = _qualifying_window_days()
    cutoff = features_cutoff(as_of=as_of)
    with transaction.atomic(), connection.cursor() as cursor:
        if member_ids is None:  # a whole day was just written: plan the join on fresh statistics
            cursor.execute(f"ANALYZE {SpendForecast._meta.db_table}")
        cursor.execute(_FLAGS_SQL.format(spend=_spend_sql(window, from_snapshot=from_snapshot)), {
            "as_of": as_of, "cutoff": cutoff, "window_from": cutoff - timedelta(days=window),
            "kept_from": cutoff + timedelta(days=OUTCOME_DAYS) - timedelta(days=window),
            "revenue": [str(s) for s in REVENUE_STATUSES], "member_ids": member_ids,
        })  # fmt: skip
        return cursor.rowcount
