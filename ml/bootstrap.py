"""Paired bootstrap intervals: is model A better than model B on the same held-out rows?

Both models are scored on the same rows (members, reviews), so the rows are resampled together
and the statistic is recomputed for A and for B on every resample; the interval of the difference
A - B says whether the gap is more than the luck of which rows happened to be held out. Works for
any statistic of (truth, prediction) arrays: ROC-AUC, MAE, macro-F1, mean recall.
Plain Python (numpy); no Django.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

RESAMPLES = 1000
CONFIDENCE = 0.95
MEAN_BLOCK_CELLS = 20_000_000  # resampled indices held at once (160 MB of int64)


@dataclass(frozen=True)
class PairedInterval:
    """statistic(A) - statistic(B) on all rows, and its percentile bootstrap interval."""

    difference: float
    low: float
    high: float
    resamples: int
    confidence: float

    def excludes_zero_above(self) -> bool:
        """True when A is better than B with the stated confidence (higher-is-better statistic)."""
        return self.low > 0

    def as_dict(self) -> dict:
        return {"difference": round(self.difference, 6), "low": round(self.low, 6), "high": round(self.high, 6),
                "resamples": self.resamples, "confidence": self.confidence}  # fmt: skip


def paired_bootstrap_statistic(
    statistic: Callable[[np.ndarray, np.ndarray], float],
    truth: np.ndarray,
    prediction_a: np.ndarray,
    prediction_b: np.ndarray,
    *,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> PairedInterval:
    """Interval of statistic(truth, a) - statistic(truth, b), resampling rows with replacement.

    A resample on which the statistic is undefined (e.g. ROC-AUC with one class drawn) is skipped;
    raises ValueError when the inputs differ in length or are empty.
    """
    truth, a, b = np.asarray(truth), np.asarray(prediction_a), np.asarray(prediction_b)
    if not (len(truth) == len(a) == len(b)) or not len(truth):
        raise ValueError(f"need equally long, non-empty arrays, got {len(truth)}, {len(a)} and {len(b)}")
    point = float(statistic(truth, a) - statistic(truth, b))
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(resamples):
        rows = rng.integers(0, len(truth), size=len(truth))
        try:
            value = statistic(truth[rows], a[rows]) - statistic(truth[rows], b[rows])
        except ValueError:  # e.g. only one class in the resample
            continue
        if np.isfinite(value):
            diffs.append(value)
    if not diffs:
        return PairedInterval(point, float("nan"), float("nan"), 0, confidence)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return PairedInterval(point, float(low), float(high), len(diffs), confidence)


def paired_bootstrap_mean(
    scores_a: np.ndarray, scores_b: np.ndarray, *, resamples: int = RESAMPLES, confidence: float = CONFIDENCE,
    seed: int = 0,
) -> PairedInterval:
    """Interval of mean(a) - mean(b) for per-row scores of two models (recall per member, minus
    absolute error per member, ...): vectorised, resampled row indices drawn in blocks so that a
    million members never need a resamples x rows matrix at once."""
    a, b = np.asarray(scores_a, dtype=np.float64), np.asarray(scores_b, dtype=np.float64)
    if len(a) != len(b) or not len(a):
        raise ValueError(f"need two equally long, non-empty score arrays, got {len(a)} and {len(b)}")
    diff = a - b
    rng = np.random.default_rng(seed)
    block = max(1, MEAN_BLOCK_CELLS // len(diff))
    means = np.concatenate([
        diff[rng.integers(0, len(diff), size=(min(block, resamples - start), len(diff)))].mean(axis=1)
        for start in range(0, resamples, block)
    ])  # fmt: skip
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return PairedInterval(float(diff.mean()), float(low), float(high), resamples, confidence)
