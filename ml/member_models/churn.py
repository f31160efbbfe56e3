"""Churn risk: will a member place no order in the 90 days after as_of?

Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier) on the member features.
The backtest trains on one window (features as of T-180, labels from (T-180, T-90]) and
evaluates on the next (features as of T-90, labels from (T-90, T]), next to two baselines scored
on the same rows in the same run: recency only (days without an order) and BG/NBD 1 - P(alive).

Reasons ("why is this member at risk") use partial dependence: at training time, for each
feature, the mean predicted churn probability over a sample of training members is computed with
that feature set to each of a grid of values (its quantiles, plus "missing"). A member's effect for
a feature is the curve at the member's value minus the curve at the population median: how much
risk that value adds for a typical member. The largest positive effects above
ChurnConfig.min_reason_effect are the reasons, in words ("no order for 140 days"). It is one
feature at a time: simple to explain, blind to interactions, and costs a table lookup per member
(so reasons for 1,000,000 members take seconds, not one re-scoring per feature).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from ml.member_models.bgnbd import bgnbd_churn_score, bgnbd_fit, bgnbd_no_purchase_score
from ml.member_models.features import FEATURE_NAMES, Row, feature_matrix, reason_text, training_matrix
from ml.member_models.metrics import probability_metrics, ranking_metrics

LABEL_DAYS = 90  # churn = no order in this many days after as_of


@dataclass
class ChurnConfig:
    max_iter: int = field(default=300, metadata={"help": "Boosting rounds (early stopping may use fewer)."})
    learning_rate: float = field(default=0.05, metadata={"help": "Shrinkage per round."})
    max_leaf_nodes: int = field(default=15, metadata={"help": "Tree size; small trees generalise on small shops."})
    min_samples_leaf: int = field(default=40, metadata={"help": "Smallest leaf, against memorising members."})
    l2_regularization: float = field(default=1.0, metadata={"help": "L2 penalty on leaf values."})
    seed: int = field(default=7, metadata={"help": "Random state (early-stopping split)."})
    reasons: int = field(default=3, metadata={"help": "Reasons kept per member."})
    min_reason_effect: float = field(default=0.01, metadata={"help": "Smallest probability effect worth a reason."})
    dependence_rows: int = field(default=1000, metadata={"help": "Training rows sampled for the reason curves."})
    dependence_grid: int = field(default=32, metadata={"help": "Quantiles per feature in the reason curves."})
    threads: int = field(default=1, metadata={"help": "OpenMP threads. 1: a Celery worker runs one task per "
                                                      "core, and oversubscribed threads run 10x slower."})


@dataclass
class ChurnModel:
    estimator: HistGradientBoostingClassifier
    medians: np.ndarray
    dependence: list[tuple[np.ndarray, np.ndarray, float]]  # per feature: grid, curve, value when missing
    config: ChurnConfig
    trained_rows: int
    feature_names: tuple[str, ...] = FEATURE_NAMES
    sklearn_version: str = sklearn.__version__

    def predict_matrix(self, X: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=self.config.threads):
            return self.estimator.predict_proba(X)[:, 1]

    def predict(self, rows: Sequence[Row]) -> np.ndarray:
        """Probability of churn per row."""
        return self.predict_matrix(feature_matrix(rows))

    def effects_matrix(self, X: np.ndarray) -> np.ndarray:
        """Per row and feature: partial dependence at the row's value minus at the median."""
        effects = np.zeros_like(X)
        for j, (grid, curve, missing) in enumerate(self.dependence):
            if len(grid) == 0:
                continue
            at_median = np.interp(self.medians[j], grid, curve) if np.isfinite(self.medians[j]) else missing
            column = X[:, j]
            value = np.where(np.isnan(column), missing, np.interp(np.nan_to_num(column), grid, curve))
            effects[:, j] = value - at_median
        return effects

    def explain_matrix(self, X: np.ndarray, prob: np.ndarray | None = None) -> list[list[dict]]:
        """Top reasons per row: [{"feature", "value", "effect", "text"}, ...], largest effect first.
        (`prob` is accepted for symmetry with predict; the effects do not depend on it.)"""
        effects = self.effects_matrix(X)
        top = np.argsort(-effects, axis=1, kind="stable")[:, : self.config.reasons]
        reasons = []
        for i in range(len(X)):
            reasons.append([
                {
                    "feature": self.feature_names[j],
                    "value": None if np.isnan(X[i, j]) else round(float(X[i, j]), 4),
                    "effect": round(float(effects[i, j]), 4),
                    "text": reason_text(self.feature_names[j], X[i, j]),
                }
                for j in top[i] if effects[i, j] >= self.config.min_reason_effect
            ])  # fmt: skip
        return reasons

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)
        return path

    @staticmethod
    def load(path: Path) -> ChurnModel:
        model = joblib.load(path)
        if not isinstance(model, ChurnModel):
            raise TypeError(f"{path} is not a churn model artifact.")
        return model


def churn_fit(rows: Sequence[Row], labels: Sequence[int], config: ChurnConfig | None = None) -> ChurnModel:
    """Train on rows (MemberFeatures dicts) and labels (1 = no order in the next 90 days)."""
    config = config or ChurnConfig()
    y = np.asarray(labels, dtype=int)
    if len(np.unique(y)) < 2:
        raise ValueError(f"Churn training needs both churners and buyers; all {len(y)} labels are {y[:1]}.")
    X = training_matrix(rows)
    estimator = HistGradientBoostingClassifier(
        max_iter=config.max_iter,
        learning_rate=config.learning_rate,
        max_leaf_nodes=config.max_leaf_nodes,
        min_samples_leaf=config.min_samples_leaf,
        l2_regularization=config.l2_regularization,
        early_stopping=True,  # on 10 % of the rows, also for small shops (sklearn's "auto" skips < 10,000)
        random_state=config.seed,
    )
    with threadpool_limits(limits=config.threads):
        estimator.fit(X, y)
    with warnings.catch_warnings():  # an all-NaN column (no reviews at all) has a NaN median: fine
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = np.nanmedian(X, axis=0)
    raw = feature_matrix(rows)  # with its NaNs: the curves must know what "missing" does
    with threadpool_limits(limits=config.threads):
        dependence = _partial_dependence(estimator, raw, config)
    return ChurnModel(estimator=estimator, medians=medians, dependence=dependence, config=config, trained_rows=len(X))


def _partial_dependence(estimator, X: np.ndarray, config: ChurnConfig) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """For each feature: its grid (unique quantiles of the observed values), the mean predicted
    probability over a sample of rows with the feature set to each grid value, and the same with
    the feature missing."""
    rng = np.random.default_rng(config.seed)
    sample = X[rng.choice(len(X), size=min(len(X), config.dependence_rows), replace=False)]
    out = []
    for j in range(X.shape[1]):
        observed = X[:, j][~np.isnan(X[:, j])]
        grid = np.unique(np.quantile(observed, np.linspace(0, 1, config.dependence_grid))) if len(observed) else np.array([])
        values = [*grid, np.nan]
        stacked = np.repeat(sample[None, :, :], len(values), axis=0)
        stacked[:, :, j] = np.asarray(values)[:, None]
        curve = estimator.predict_proba(stacked.reshape(-1, X.shape[1]))[:, 1].reshape(len(values), -1).mean(axis=1)
        out.append((grid, curve[:-1], float(curve[-1])))
    return out


def recency_score(rows: Sequence[Row]) -> np.ndarray:
    """The recency-only baseline: days without an order (since joining when never ordered)."""
    return feature_matrix(rows)[:, FEATURE_NAMES.index("days_without_order")]


@dataclass
class ChurnBacktest:
    model: ChurnModel  # trained on the first window only
    metrics: dict  # {"model": {...}, "recency": {...}, "bgnbd": {...} or {"error": ...}, sizes, rates}
    eval_probability: np.ndarray


def churn_backtest(
    *,
    train_rows: Sequence[Row],
    train_labels: Sequence[int],
    eval_rows: Sequence[Row],
    eval_labels: Sequence[int],
    config: ChurnConfig | None = None,
) -> ChurnBacktest:
    """Train on window 1, evaluate on window 2; the baselines are scored on the same window-2 rows.

    BG/NBD is fitted on window 2's purchase histories (everything up to its as-of date, no labels),
    which is how it would be used on that date.
    """
    config = config or ChurnConfig()
    model = churn_fit(train_rows, train_labels, config)
    y = np.asarray(eval_labels, dtype=int)
    prob = model.predict(eval_rows)
    metrics = {
        "model": probability_metrics(y, prob),
        "recency": ranking_metrics(y, recency_score(eval_rows)),
        "train_rows": len(train_rows),
        "eval_rows": len(eval_rows),
        "train_churn_rate": round(float(np.mean(train_labels)), 4) if len(train_labels) else None,
        "eval_churn_rate": round(float(np.mean(y)), 4) if len(y) else None,
        "config": asdict(config),
    }
    try:
        fit = bgnbd_fit(eval_rows)
        metrics["bgnbd"] = {
            **ranking_metrics(y, bgnbd_churn_score(fit, eval_rows)),
            "expected_purchases": ranking_metrics(y, bgnbd_no_purchase_score(fit, eval_rows, LABEL_DAYS)),
            "params": fit.params,
            "penalizer": fit.penalizer,
        }
    except (RuntimeError, ImportError) as exc:
        metrics["bgnbd"] = {"error": str(exc)}
    return ChurnBacktest(model=model, metrics=metrics, eval_probability=prob)
