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
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from ml.member_models.bgnbd import (
    BGNBD_COLUMNS,
    BgNbdFit,
    bgnbd_churn_score,
    bgnbd_columns,
    bgnbd_fit,
    bgnbd_fit_or_none,
    bgnbd_no_purchase_score,
)
from ml.member_models.calibration import expected_calibration_error, logit_shift_to_rate, shift_probabilities
from ml.member_models.features import FEATURE_NAMES, Row, feature_matrix, reason_text
from ml.member_models.metrics import probability_metrics, ranking_metrics

LABEL_DAYS = 90  # churn = no order in this many days after as_of
LEAF_ROWS_DIVISOR, MIN_LEAF_FLOOR, MIN_LEAF_CEILING = 30, 20, 100


def leaf_size(config: ChurnConfig, rows: int) -> int:
    """config.min_samples_leaf, or when it is 0 the size scaled to the number of training rows."""
    if config.min_samples_leaf:
        return config.min_samples_leaf
    return int(np.clip(rows // LEAF_ROWS_DIVISOR, MIN_LEAF_FLOOR, MIN_LEAF_CEILING))


@dataclass
class ChurnConfig:
    max_iter: int = field(default=300, metadata={"help": "Boosting rounds (early stopping may use fewer)."})
    learning_rate: float = field(default=0.03, metadata={"help": "Shrinkage per round."})
    max_leaf_nodes: int = field(default=7, metadata={"help": "Tree size; small trees carry over to the next season "
                                                             "better (docs/backtest.md: 15 -> 7 measured)."})
    min_samples_leaf: int = field(default=0, metadata={
        "help": "Smallest leaf, against memorising members. 0: scaled to the training rows (rows / "
                f"{LEAF_ROWS_DIVISOR}, between {MIN_LEAF_FLOOR} and {MIN_LEAF_CEILING}), so a small shop's trees can "
                "still split and a large shop's leaves are not a handful of members."})
    l2_regularization: float = field(default=1.0, metadata={"help": "L2 penalty on leaf values."})
    seed: int = field(default=7, metadata={"help": "Random state (early-stopping split, calibration folds)."})
    calibration: str = field(default="isotonic", metadata={
        "help": "isotonic, sigmoid (Platt) or none: probabilities calibrated by cross-fitting on the training "
                "window (the most recent labelled one in production)."})
    calibration_folds: int = field(default=3, metadata={"help": "Folds of the cross-fitted calibration."})
    bgnbd_features: bool = field(default=True, metadata={
        "help": "Feed BG/NBD's expected purchases and P(alive) (fitted on the training snapshot) to the trees."})
    reasons: int = field(default=3, metadata={"help": "Reasons kept per member."})
    min_reason_effect: float = field(default=0.01, metadata={"help": "Smallest probability effect worth a reason."})
    dependence_rows: int = field(default=1000, metadata={"help": "Training rows sampled for the reason curves."})
    dependence_grid: int = field(default=32, metadata={"help": "Quantiles per feature in the reason curves."})
    threads: int = field(default=1, metadata={"help": "OpenMP threads. 1: a Celery worker runs one task per "
                                                      "core, and oversubscribed threads run 10x slower."})


@dataclass
class ChurnModel:
    estimator: object  # HistGradientBoostingClassifier, or CalibratedClassifierCV around it
    medians: np.ndarray
    dependence: list[tuple[np.ndarray, np.ndarray, float]]  # per feature: grid, curve, value when missing
    config: ChurnConfig
    trained_rows: int
    feature_names: tuple[str, ...] = FEATURE_NAMES
    sklearn_version: str = sklearn.__version__
    bgnbd: BgNbdFit | None = None  # fitted on the training snapshot; its two columns end feature_names
    seasonal_shift: float = 0.0  # logit shift from last year's seasonal change (ml.member_models.calibration)

    @property
    def base_feature_names(self) -> tuple[str, ...]:
        return tuple(n for n in self.feature_names if n not in BGNBD_COLUMNS)

    def matrix(self, rows: Sequence[Row]) -> np.ndarray:
        """The model's input matrix for `rows`, in its own column order (older artifacts included)."""
        X = feature_matrix(rows, self.base_feature_names)
        if len(self.base_feature_names) == len(self.feature_names):
            return X
        return np.hstack([X, bgnbd_columns(getattr(self, "bgnbd", None), rows, LABEL_DAYS)])

    def predict_matrix(self, X: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=self.config.threads):
            prob = self.estimator.predict_proba(X)[:, 1]
        return shift_probabilities(prob, getattr(self, "seasonal_shift", 0.0))

    def predict(self, rows: Sequence[Row]) -> np.ndarray:
        """Probability of churn per row."""
        return self.predict_matrix(self.matrix(rows))

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
    """Train on rows (MemberFeatures dicts) and labels (1 = no order in the next 90 days).

    BG/NBD (when config.bgnbd_features) is fitted on the rows' purchase histories, no labels; the
    trees get its two columns. With config.calibration the trees are wrapped in scikit-learn's
    CalibratedClassifierCV (cross-fitted on shuffled stratified folds of these rows), so the
    probabilities match the churn rate of this, the most recent labelled, window.
    """
    config = config or ChurnConfig()
    y = np.asarray(labels, dtype=int)
    if len(np.unique(y)) < 2:
        raise ValueError(f"Churn training needs both churners and buyers; all {len(y)} labels are {y[:1]}.")
    bgnbd = bgnbd_fit_or_none(rows) if config.bgnbd_features else None
    names = FEATURE_NAMES + (BGNBD_COLUMNS if config.bgnbd_features else ())
    model = ChurnModel(estimator=None, medians=np.array([]), dependence=[], config=config, trained_rows=len(y),
                       feature_names=names, bgnbd=bgnbd)  # fmt: skip
    raw = model.matrix(rows)  # with its NaNs: the curves must know what "missing" does
    X = raw.copy()
    X[:, np.isnan(X).all(axis=0)] = 0.0  # see features.training_matrix: binning cannot take all-NaN
    trees = HistGradientBoostingClassifier(
        max_iter=config.max_iter,
        learning_rate=config.learning_rate,
        max_leaf_nodes=config.max_leaf_nodes,
        min_samples_leaf=leaf_size(config, len(y)),
        l2_regularization=config.l2_regularization,
        early_stopping=True,  # on 10 % of the rows, also for small shops (sklearn's "auto" skips < 10,000)
        random_state=config.seed,
    )
    folds = min(config.calibration_folds, int(np.bincount(y).min()))
    if config.calibration != "none" and folds >= 2:
        estimator = CalibratedClassifierCV(
            trees, method=config.calibration, cv=StratifiedKFold(folds, shuffle=True, random_state=config.seed)
        )
    else:
        estimator = trees
    with threadpool_limits(limits=config.threads):
        estimator.fit(X, y)
    with warnings.catch_warnings():  # an all-NaN column (no reviews at all) has a NaN median: fine
        warnings.simplefilter("ignore", RuntimeWarning)
        model.medians = np.nanmedian(X, axis=0)
    model.estimator = estimator
    with threadpool_limits(limits=config.threads):
        model.dependence = _partial_dependence(estimator, raw, config)
    return model


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
    return feature_matrix(rows, ("days_without_order",))[:, 0]


def churn_seasonal_shift(model: ChurnModel, *, season_rows: Sequence[Row], season_labels: Sequence[int],
                         before_rows: Sequence[Row], before_labels: Sequence[int]) -> float:
    """Last year's seasonal change in churn, as a logit shift for this year's scores: how far the
    model's mean missed the observed rate in the same period last year (season_*) minus how far it
    missed in the period before that (before_*), the one this year's calibration window mirrors."""
    def miss(rows, labels) -> float:
        return logit_shift_to_rate(model.predict(rows), float(np.mean(labels)))

    return miss(season_rows, season_labels) - miss(before_rows, before_labels)


@dataclass
class ChurnBacktest:
    model: ChurnModel  # trained on the first window only
    metrics: dict  # {"model": {...}, "recency": {...}, "bgnbd": {...} or {"error": ...}, sizes, rates}
    eval_probability: np.ndarray


def churn_backtest_metrics(model: ChurnModel, eval_rows: Sequence[Row], eval_labels: Sequence[int]
                           ) -> tuple[dict, dict[str, np.ndarray]]:  # fmt: skip
    """Score `model` and the baselines on the same rows: (metrics, per-row scores by name).

    Baselines: recency (days without an order) and BG/NBD, fitted on these rows' purchase
    histories (everything up to their as-of date, no labels), ranked by 1 - P(alive) and by minus
    the expected purchases in LABEL_DAYS days. Scores: "model", "recency", "bgnbd_p_alive",
    "bgnbd_expected_purchases" (the BG/NBD ones only when it converged).
    """
    y = np.asarray(eval_labels, dtype=int)
    prob = model.predict(eval_rows)
    scores = {"model": prob, "recency": recency_score(eval_rows)}
    metrics = {
        "model": {**probability_metrics(y, prob), "ece": round(expected_calibration_error(y, prob), 4),
                  "mean_predicted": round(float(prob.mean()), 4) if len(prob) else None},
        "recency": ranking_metrics(y, scores["recency"]),
        "eval_rows": len(eval_rows),
        "eval_churn_rate": round(float(np.mean(y)), 4) if len(y) else None,
        "train_rows": model.trained_rows,
        "seasonal_shift": round(float(getattr(model, "seasonal_shift", 0.0)), 4),
        "config": asdict(model.config),
    }
    try:
        fit = bgnbd_fit(eval_rows)
        scores["bgnbd_p_alive"] = bgnbd_churn_score(fit, eval_rows)
        scores["bgnbd_expected_purchases"] = bgnbd_no_purchase_score(fit, eval_rows, LABEL_DAYS)
        metrics["bgnbd"] = {
            **ranking_metrics(y, scores["bgnbd_p_alive"]),
            "expected_purchases": ranking_metrics(y, scores["bgnbd_expected_purchases"]),
            "params": fit.params,
            "penalizer": fit.penalizer,
        }
    except (RuntimeError, ImportError) as exc:
        metrics["bgnbd"] = {"error": str(exc)}
    return metrics, scores


def churn_backtest(
    *,
    train_rows: Sequence[Row],
    train_labels: Sequence[int],
    eval_rows: Sequence[Row],
    eval_labels: Sequence[int],
    config: ChurnConfig | None = None,
) -> ChurnBacktest:
    """Train on window 1, evaluate on window 2 next to the baselines (churn_backtest_metrics)."""
    model = churn_fit(train_rows, train_labels, config or ChurnConfig())
    metrics, scores = churn_backtest_metrics(model, eval_rows, eval_labels)
    metrics["train_churn_rate"] = round(float(np.mean(train_labels)), 4) if len(train_labels) else None
    return ChurnBacktest(model=model, metrics=metrics, eval_probability=scores["model"])
