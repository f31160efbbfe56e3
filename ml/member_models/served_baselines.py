"""The baselines MemberHub serves when no trained member model has earned it (the review models'
rule: the baseline is served, and the page says so, rather than nothing or a worse model).

- `ChurnBaselineModel`: the better churn baseline of the backtest (recency: days without an order;
  or BG/NBD's expected purchases in the next 90 days), mapped to a churn probability by isotonic
  regression fitted on the most recent labelled window. Reasons are the baseline's own figure in
  words ("no order for 140 days", "BG/NBD expects 0.12 orders in the next 90 days").
- `NaiveForecastModel`: "the next 90 days' spend equals the last 90 days'" (as in the backtest:
  no seasonal factor), with a 10-90 % range from the residuals on the most recent labelled window.

Both have the scoring interface of ChurnModel / ForecastModel, so the same scorers write their rows.
Plain Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from sklearn.isotonic import IsotonicRegression

from ml.member_models.bgnbd import BgNbdFit, bgnbd_columns, bgnbd_fit_or_none
from ml.member_models.churn import LABEL_DAYS, ChurnModel
from ml.member_models.features import Row, feature_matrix, reason_text
from ml.member_models.forecast import QUANTILES, ForecastModel, naive_forecast

RECENCY, BGNBD = "recency", "bgnbd_expected_purchases"
NEVER_BOUGHT_RISK = 1e12  # above any real score: no purchase history ranks riskiest
BASELINE_NAMES = {RECENCY: "recency (days without an order)", BGNBD: "BG/NBD expected purchases"}


@dataclass
class ChurnBaselineConfig:
    source: str = field(default=RECENCY, metadata={"help": "recency or bgnbd_expected_purchases."})


@dataclass
class ChurnBaselineModel:
    config: ChurnBaselineConfig
    isotonic: IsotonicRegression  # baseline risk score (higher = more likely to churn) -> probability
    trained_rows: int
    churn_rate: float  # of the calibration window: a reason is given only above it
    bgnbd: BgNbdFit | None = None
    seasonal_shift: float = 0.0  # none: the served baseline is what the backtest scored

    feature_names = ("days_without_order", "bgnbd_expected_purchases")

    def matrix(self, rows: Sequence[Row]) -> np.ndarray:
        recency = feature_matrix(rows, ("days_without_order",))
        expected = bgnbd_columns(self.bgnbd, rows, LABEL_DAYS)[:, :1]
        return np.hstack([recency, expected])

    def risk(self, X: np.ndarray) -> np.ndarray:
        """The baseline's own score, higher = riskier; a member who never bought ranks riskiest."""
        if self.config.source == BGNBD:
            column = -X[:, 1]
        else:
            column = X[:, 0]
        return np.nan_to_num(column, nan=NEVER_BOUGHT_RISK, posinf=NEVER_BOUGHT_RISK, neginf=-NEVER_BOUGHT_RISK)

    def predict_matrix(self, X: np.ndarray) -> np.ndarray:
        return np.clip(self.isotonic.predict(self.risk(X)), 0.0, 1.0)

    def predict(self, rows: Sequence[Row]) -> np.ndarray:
        return self.predict_matrix(self.matrix(rows))

    def explain_matrix(self, X: np.ndarray, prob: np.ndarray | None = None) -> list[list[dict]]:
        """The baseline's figure in words, for members whose risk is above the window's churn rate."""
        prob = self.predict_matrix(X) if prob is None else prob
        j = 1 if self.config.source == BGNBD else 0
        reasons = []
        for i in range(len(X)):
            value = X[i, j]
            if prob[i] <= self.churn_rate:
                reasons.append([])
                continue
            if j == 1:
                text = ("never ordered" if np.isnan(value)
                        else f"BG/NBD expects {value:.2f} orders in the next {LABEL_DAYS} days")  # fmt: skip
            else:
                text = reason_text("days_without_order", value)
            reasons.append([{"feature": self.feature_names[j], "value": None if np.isnan(value) else round(float(value), 4),
                             "effect": round(float(prob[i] - self.churn_rate), 4), "text": text}])  # fmt: skip
        return reasons

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)
        return path


def churn_baseline_fit(rows: Sequence[Row], labels: Sequence[int], source: str) -> ChurnBaselineModel:
    """Fit the baseline's probability mapping on a labelled window (rows as of its date, labels =
    no order in the LABEL_DAYS after). BG/NBD is fitted on the rows' histories; when it cannot be,
    recency is served instead."""
    y = np.asarray(labels, dtype=float)
    fit = bgnbd_fit_or_none(rows) if source == BGNBD else None
    config = ChurnBaselineConfig(source=source if fit is not None or source != BGNBD else RECENCY)
    model = ChurnBaselineModel(config=config, isotonic=IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip"),
                               trained_rows=len(y), churn_rate=float(y.mean()) if len(y) else 0.0, bgnbd=fit)  # fmt: skip
    model.isotonic.fit(model.risk(model.matrix(rows)), y)
    return model


def best_churn_baseline(metrics: dict) -> str:
    """The baseline with the higher backtest ROC-AUC (recency on a tie or when BG/NBD failed)."""
    recency = (metrics.get("recency") or {}).get("roc_auc")
    bgnbd = ((metrics.get("bgnbd") or {}).get("expected_purchases") or {}).get("roc_auc")
    if isinstance(bgnbd, float) and np.isfinite(bgnbd) and (not isinstance(recency, float) or bgnbd > recency):
        return BGNBD
    return RECENCY


@dataclass
class NaiveForecastConfig:
    quantiles: tuple[float, float] = QUANTILES


@dataclass
class NaiveForecastModel:
    config: NaiveForecastConfig
    residual_low: float  # quantiles of (actual - naive) on the most recent labelled window
    residual_high: float
    trained_rows: int
    seasonal_factor: float = 1.0  # the backtest's naive forecast has none

    def predict(self, rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        expected = np.nan_to_num(naive_forecast(rows), nan=0.0)
        low = np.clip(expected + self.residual_low, 0, None)
        high = np.maximum(np.clip(expected + self.residual_high, 0, None), low)
        return expected, low, high

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)
        return path


def naive_forecast_fit(rows: Sequence[Row], spend: Sequence[float]) -> NaiveForecastModel:
    config = NaiveForecastConfig()
    residual = np.asarray(spend, dtype=float) - np.nan_to_num(naive_forecast(rows), nan=0.0)
    low, high = (np.quantile(residual, config.quantiles) if len(residual) else (0.0, 0.0))
    return NaiveForecastModel(config=config, residual_low=float(low), residual_high=float(high), trained_rows=len(residual))


def churn_artifact_load(path: Path) -> ChurnModel | ChurnBaselineModel:
    model = joblib.load(path)
    if not isinstance(model, ChurnModel | ChurnBaselineModel):
        raise TypeError(f"{path} is not a churn model artifact.")
    return model


def forecast_artifact_load(path: Path) -> ForecastModel | NaiveForecastModel:
    model = joblib.load(path)
    if not isinstance(model, ForecastModel | NaiveForecastModel):
        raise TypeError(f"{path} is not a spend forecast artifact.")
    return model
