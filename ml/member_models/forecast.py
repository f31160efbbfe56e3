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

    def predict_matrix(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(expected, low, high), clipped at 0 and ordered so low <= high."""
        with threadpool_limits(limits=self.config.threads):
            expected = np.clip(self.mean.predict(X), 0, None)
            low = np.clip(self.low.predict(X), 0, None)
            high = np.maximum(np.clip(self.high.predict(X), 0, None), low)
        return expected, low, high

    def predict(self, rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.predict_matrix(feature_matrix(rows))

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
    return feature_matrix(rows)[:, FEATURE_NAMES.index("monetary_90")]


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
    """Train on window 1, evaluate on window 2 next to the naive baseline (MAE, RMSE, interval coverage)."""
    config = config or ForecastConfig()
    model = forecast_fit(train_rows, train_spend, config)
    actual = np.asarray(eval_spend, dtype=float)
    expected, low, high = model.predict(eval_rows)
    naive = naive_forecast(eval_rows)
    ours, base = regression_metrics(actual, expected), regression_metrics(actual, naive)
    metrics = {
        "model": {**ours, "interval_coverage": round(float(np.mean((actual >= low) & (actual <= high))), 4)},
        "naive_last_90_days": base,
        "mae_vs_naive": round(ours["mae"] / base["mae"], 4) if base["mae"] else None,
        "train_rows": len(train_rows),
        "eval_rows": len(eval_rows),
        "eval_mean_spend": round(float(actual.mean()), 4) if len(actual) else None,
        "config": asdict(config),
    }
    return ForecastBacktest(model=model, metrics=metrics)
