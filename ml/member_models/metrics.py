"""Backtest metrics for churn scores (higher score = more likely to churn) and spend forecasts."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

RELIABILITY_BINS = 10
TOP_FRACTION = 0.10  # lift is measured in the top decile of scores


def lift_at_top(y: np.ndarray, score: np.ndarray, fraction: float = TOP_FRACTION) -> float:
    """Churn rate among the `fraction` highest scores divided by the overall churn rate."""
    base = float(np.mean(y))
    if base == 0:
        return float("nan")
    k = max(1, round(len(y) * fraction))
    # Stable sort on the negated score: ties keep input order, so the figure is reproducible.
    top = np.argsort(-score, kind="stable")[:k]
    return float(np.mean(y[top]) / base)


def reliability_bins(y: np.ndarray, prob: np.ndarray, bins: int = RELIABILITY_BINS) -> list[dict]:
    """Equal-width probability bins: mean predicted vs observed churn rate and count (empty bins left out)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append({
                "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                "mean_predicted": round(float(prob[mask].mean()), 4),
                "observed_rate": round(float(y[mask].mean()), 4),
                "count": int(mask.sum()),
            })  # fmt: skip
    return out


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC of 0/1 labels as sklearn's roc_auc_score computes it (tied scores count half), from
    average ranks (Mann-Whitney U). The promotion bootstrap (ml.member_models.promotion) calls it
    about a thousand times per comparison, where sklearn's input checks make each call ~20x slower.
    NaN when y has one class (as roc_auc_score, without its warning); ValueError, as roc_auc_score,
    when a score is not finite. The bootstrap skips a resample either way."""
    y = np.asarray(y)
    score = np.asarray(score, dtype=float)
    if len(y) != len(score) or not np.isfinite(score).all():
        raise ValueError("roc_auc needs one finite score per label")
    positive = y == 1
    n_pos = int(positive.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def ranking_metrics(y: np.ndarray, score: np.ndarray) -> dict:
    """ROC-AUC, PR-AUC (average precision) and lift at the top decile; NaN AUCs when y has one class."""
    y = np.asarray(y, dtype=int)
    score = np.asarray(score, dtype=float)
    one_class = len(np.unique(y)) < 2
    return {
        "roc_auc": float("nan") if one_class else round(float(roc_auc_score(y, score)), 4),
        "pr_auc": float("nan") if one_class else round(float(average_precision_score(y, score)), 4),
        "lift_top_decile": round(lift_at_top(y, score), 4),
    }


def probability_metrics(y: np.ndarray, prob: np.ndarray) -> dict:
    """ranking_metrics plus calibration: Brier score and reliability bins."""
    metrics = ranking_metrics(y, prob)
    metrics["brier"] = round(float(brier_score_loss(y, prob)), 4)
    metrics["reliability"] = reliability_bins(np.asarray(y, dtype=int), np.asarray(prob, dtype=float))
    return metrics


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict:
    """Mean absolute error and root mean squared error."""
    err = np.asarray(predicted, dtype=float) - np.asarray(actual, dtype=float)
    return {"mae": round(float(np.mean(np.abs(err))), 4), "rmse": round(float(np.sqrt(np.mean(err**2))), 4)}
