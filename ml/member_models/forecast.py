"""Spend in the 90 days after as_of: gradient-boosted regression on the member features.

The expected spend uses a Poisson loss (spend is non-negative and mostly zero for many members,
and the Poisson loss predicts a positive mean); a 10 % and a 90 % quantile model give the interval.
Backtested like churn (train on features as of T-180 with spend in (T-180, T-90], evaluate on T-90
with spend in (T-90, T]) against the naive forecast "the same as the last 90 days" (monetary_90).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from ml.member_models.features import FEATURE_NAMES, Row, feature_matrix, training_matrix
from ml.member_models.metrics import regression_metrics

QUANTILES = (0.1, 0.9)


@dataclass
class ForecastConfig:
    max_iter: int = field(default=200, metadata={"help": "Boosting rounds (early stopping may use fewer)."})
    learning_rate: float = field(default=0.05, metadata={"help": "Shrinkage per round."})
    max_leaf_nodes: int = field(default=15, metadata={"help": "Tree size."})
    min_samples_leaf: int = field(default=40, metadata={"help": "Smallest leaf."})
    seed: int = field(default=7, metadata={"help": "Random state (early-stopping split)."})
    threads: int = field(default=1, metadata={"help": "OpenMP threads (see ChurnConfig.threads)."})


@dataclass
class ForecastModel:
    mean: HistGradientBoostingRegressor
    low: HistGradientBoostingRegressor
    high: HistGradientBoostingRegressor
    config: ForecastConfig
    trained_rows: int
    feature_names: tuple[str, ...] = FEATURE_NAMES
    sklearn_version: str = sklearn.__version__
    # Last year's seasonal change in the shop's spend (forecast_seasonal_factor); 1.0: none known.
    seasonal_factor: float = 1.0

    def predict_matrix(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(expected, low, high), clipped at 0, ordered so low <= high, times the seasonal factor."""
        factor = getattr(self, "seasonal_factor", 1.0)
        with threadpool_limits(limits=self.config.threads):
            expected = np.clip(self.mean.predict(X), 0, None) * factor
            low = np.clip(self.low.predict(X), 0, None) * factor
            high = np.maximum(np.clip(self.high.predict(X), 0, None) * factor, low)
        return expected, low, high

    def predict(self, rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.predict_matrix(feature_matrix(rows, self.feature_names))

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)
        return path

    @staticmethod
    def load(path: Path) -> ForecastModel:
        model = joblib.load(path)
        if not isinstance(model, ForecastModel):
            raise TypeError(f"{path} is not a spend forecast artifact.")
        return model


def _regressor(config: ForecastConfig, **loss) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(
        max_iter=config.max_iter,
        learning_rate=config.learning_rate,
        max_leaf_nodes=config.max_leaf_nodes,
        min_samples_leaf=config.min_samples_leaf,
        early_stopping=True,
        random_state=config.seed,
        **loss,
    )


def forecast_fit(rows: Sequence[Row], spend: Sequence[float], config: ForecastConfig | None = None) -> ForecastModel:
    """Train on rows (MemberFeatures dicts) and each member's spend in the following 90 days."""
    config = config or ForecastConfig()
    X, y = training_matrix(rows), np.asarray(spend, dtype=float)
    with threadpool_limits(limits=config.threads):
        mean = _regressor(config, loss="poisson").fit(X, y)
        low = _regressor(config, loss="quantile", quantile=QUANTILES[0]).fit(X, y)
        high = _regressor(config, loss="quantile", quantile=QUANTILES[1]).fit(X, y)
    return ForecastModel(mean=mean, low=low, high=high, config=config, trained_rows=len(X))


def naive_forecast(rows: Sequence[Row]) -> np.ndarray:
    """The baseline: the next 90 days' spend equals the last 90 days'."""
    return feature_matrix(rows, ("monetary_90",))[:, 0]


MIN_SEASONAL_FACTOR, MAX_SEASONAL_FACTOR = 0.25, 4.0  # a wilder ratio says more about the data than the season


def forecast_seasonal_factor(model: ForecastModel, *, season_rows: Sequence[Row], season_spend: Sequence[float],
                             before_rows: Sequence[Row], before_spend: Sequence[float]) -> float:
    """Last year's seasonal change in spend, as a factor on this year's forecasts: how much the
    model's total missed the same period last year (actual / predicted), over how much it missed
    the period before it, which this year's training window mirrors. 1.0 when either is empty."""
    def ratio(rows, spend) -> float | None:
        predicted = float(model.predict(rows)[0].sum()) / getattr(model, "seasonal_factor", 1.0) if len(rows) else 0.0
        return float(np.sum(spend)) / predicted if predicted > 0 else None

    season, before = ratio(season_rows, season_spend), ratio(before_rows, before_spend)
    if not season or not before:
        return 1.0
    return float(np.clip(season / before, MIN_SEASONAL_FACTOR, MAX_SEASONAL_FACTOR))


def forecast_backtest_metrics(model: ForecastModel, eval_rows: Sequence[Row], eval_spend: Sequence[float]
                              ) -> tuple[dict, dict[str, np.ndarray]]:  # fmt: skip
    """Score `model` and the naive forecast on the same rows: (metrics, per-row predictions)."""
    actual = np.asarray(eval_spend, dtype=float)
    expected, low, high = model.predict(eval_rows)
    naive = naive_forecast(eval_rows)
    ours, base = regression_metrics(actual, expected), regression_metrics(actual, naive)
    total = float(actual.sum())

    def bias(pred: np.ndarray) -> float | None:
        return round(100 * (float(pred.sum()) - total) / total, 2) if total else None

    metrics = {
        "model": {**ours, "interval_coverage": round(float(np.mean((actual >= low) & (actual <= high))), 4),
                  "total": round(float(expected.sum()), 2), "total_bias_pct": bias(expected)},
        "naive_last_90_days": {**base, "total": round(float(naive.sum()), 2), "total_bias_pct": bias(naive)},
        "mae_vs_naive": round(ours["mae"] / base["mae"], 4) if base["mae"] else None,
        "actual_total": round(total, 2),
        "eval_rows": len(eval_rows),
        "eval_mean_spend": round(float(actual.mean()), 4) if len(actual) else None,
        "train_rows": model.trained_rows,
        "seasonal_factor": round(float(getattr(model, "seasonal_factor", 1.0)), 4),
        "config": asdict(model.config),
    }
    return metrics, {"model": expected, "naive": naive}


@dataclass
class ForecastBacktest:
    model: ForecastModel
    metrics: dict


def forecast_backtest(
    *,
    train_rows: Sequence[Row],
    train_spend: Sequence[float],
    eval_rows: Sequence[Row],
    eval_spend: Sequence[float],
    config: ForecastConfig | None = None,
) -> ForecastBacktest:
    """Train on window 1, evaluate on window 2 next to the naive baseline (forecast_backtest_metrics)."""
    model = forecast_fit(train_rows, train_spend, config or ForecastConfig())
    metrics, _ = forecast_backtest_metrics(model, eval_rows, eval_spend)
    return ForecastBacktest(model=model, metrics=metrics)
