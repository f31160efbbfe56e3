"""Paired bootstrap intervals: is model A better than model B on the same held-out rows?

Both models are scored on the same rows (members, reviews), so the rows are resampled together
and the statistic is recomputed for A and for B on every resample; the interval of the difference
A - B says whether the gap is more than the luck of which rows happened to be held out. Works for
any statistic of (truth, prediction) arrays: ROC-AUC, MAE, macro-F1, mean recall.

This is the one bootstrap in ml/: the review model selection (macro-F1, ml.selection), the member
models (ml.member_models.promotion) and the recommendation benchmarks (ml.recs.metrics) all draw
their resamples from :func:`_resampled_rows`. Plain Python (numpy); no Django.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ml.metrics import macro_f1

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


def _resampled_rows(n: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """``resamples`` draws of n row indices with replacement, in (block, n) arrays so that a
    million rows never need a resamples x rows matrix at once. numpy's Generator gives the same
    indices whether they are drawn one resample at a time or a block at a time, so the block size
    never changes a result."""
    rng = np.random.default_rng(seed)
    block = max(1, MEAN_BLOCK_CELLS // n)
    for start in range(0, resamples, block):
        yield rng.integers(0, n, size=(min(block, resamples - start), n))


def _percentile_interval(values: Sequence[float] | np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


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
    diffs = []
    for block in _resampled_rows(len(truth), resamples, seed):
        for rows in block:
            try:
                value = statistic(truth[rows], a[rows]) - statistic(truth[rows], b[rows])
            except ValueError:  # e.g. only one class in the resample
                continue
            if np.isfinite(value):
                diffs.append(value)
    if not diffs:
        return PairedInterval(point, float("nan"), float("nan"), 0, confidence)
    low, high = _percentile_interval(diffs, confidence)
    return PairedInterval(point, low, high, len(diffs), confidence)


def paired_bootstrap_mean(
    scores_a: np.ndarray, scores_b: np.ndarray, *, resamples: int = RESAMPLES, confidence: float = CONFIDENCE,
    seed: int = 0,
) -> PairedInterval:
    """Interval of mean(a) - mean(b) for per-row scores of two models (recall per member, minus
    absolute error per member, ...): vectorised over each block of resamples."""
    a, b = np.asarray(scores_a, dtype=np.float64), np.asarray(scores_b, dtype=np.float64)
    if len(a) != len(b) or not len(a):
        raise ValueError(f"need two equally long, non-empty score arrays, got {len(a)} and {len(b)}")
    diff = a - b
    means = np.concatenate([diff[rows].mean(axis=1) for rows in _resampled_rows(len(diff), resamples, seed)])
    low, high = _percentile_interval(means, confidence)
    return PairedInterval(float(diff.mean()), low, high, resamples, confidence)


def paired_bootstrap_macro_f1(
    y_true: Sequence[int], pred_a: Sequence[int], pred_b: Sequence[int], num_labels: int, *,
    resamples: int = RESAMPLES, confidence: float = CONFIDENCE, seed: int = 0,
) -> dict[str, float]:
    """How much better A is than B on the same test rows: macro-F1(A) - macro-F1(B) over all
    ``num_labels`` classes, with the paired bootstrap interval.

    Returns {"delta", "low", "high", "a", "b", "n", "resamples", "confidence"} (the form stored in
    review metrics and serving decisions); A wins clearly only when ``low > 0``.
    """
    y, a, b = np.asarray(y_true), np.asarray(pred_a), np.asarray(pred_b)
    if not (len(y) == len(a) == len(b)):
        raise ValueError(f"paired bootstrap needs equal lengths, got {len(y)}, {len(a)}, {len(b)}")
    interval = paired_bootstrap_statistic(lambda t, p: _fast_macro_f1(t, p, num_labels), y, a, b,
                                          resamples=resamples, confidence=confidence, seed=seed)
    # the point estimates come from sklearn, as every other macro-F1 in ml/ does
    score_a, score_b = macro_f1(y, a, num_labels), macro_f1(y, b, num_labels)
    return {"delta": score_a - score_b, "low": interval.low, "high": interval.high, "a": score_a, "b": score_b,
            "n": len(y), "resamples": resamples, "confidence": confidence}


def _fast_macro_f1(y: np.ndarray, p: np.ndarray, k: int) -> float:
    """Macro-F1 from a confusion matrix via bincount (the bootstrap calls this thousands of times)."""
    matrix = np.bincount(y * k + p, minlength=k * k).reshape(k, k)
    tp = np.diag(matrix).astype(float)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    denominator = predicted + actual
    f1 = np.divide(2 * tp, denominator, out=np.zeros(k), where=denominator > 0)
    present = actual > 0  # averaged over the classes the rows hold, as ml.metrics.macro_f1
    return float(f1[present].mean()) if present.any() else 0.0
