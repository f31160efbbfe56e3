"""Probability calibration and seasonal adjustment for the member models. Plain Python.

- `expected_calibration_error`: the mean |predicted - observed| over equal-width probability bins,
  weighted by the bin's share of members (the usual ECE, 10 bins).
- `logit_shift_to_rate`: the constant to add to every score's logit so that the mean probability
  equals an observed rate. Seasonal adjustment uses it twice on last year's data: how far the
  model's mean missed in the same 90 days last year, minus how far it missed in the 90 days
  before those; the difference is the season's own effect, applied to this year's scores.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

BINS = 10
PROB_EPS = 1e-6


def expected_calibration_error(y: np.ndarray, prob: np.ndarray, bins: int = BINS) -> float:
    y, prob = np.asarray(y, dtype=float), np.asarray(prob, dtype=float)
    if not len(y):
        return float("nan")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(prob[mask].mean() - y[mask].mean())
    return float(total)


def shift_probabilities(prob: np.ndarray, shift: float) -> np.ndarray:
    """Add `shift` to the logit of every probability."""
    if not shift:
        return np.asarray(prob, dtype=float)
    return expit(logit(np.clip(prob, PROB_EPS, 1 - PROB_EPS)) + shift)


def logit_shift_to_rate(prob: np.ndarray, rate: float) -> float:
    """The logit shift that makes mean(prob) equal `rate` (0 when prob is empty or the rate is 0/1)."""
    prob = np.asarray(prob, dtype=float)
    if not len(prob) or not 0 < rate < 1:
        return 0.0
    return float(brentq(lambda s: shift_probabilities(prob, s).mean() - rate, -20.0, 20.0))
