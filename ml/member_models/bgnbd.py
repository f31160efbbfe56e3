"""BG/NBD probability-alive (Fader, Hardie & Lee 2005, "Counting your customers the easy way"),
the standard customer-base baseline, fitted with the `lifetimes` package.

Inputs come from the same feature rows as our model, in weeks: frequency = repeat purchase days
(purchase_days - 1), recency = age at the last purchase (first_order_days - recency_days), and
T = age at as_of (first_order_days + 1, so a first purchase on the as-of day is not age 0).
Members who never bought are outside the model; as a churn score they get P(alive) = 0 (most at
risk), the same place the recency baseline ranks them. Note BG/NBD's P(alive) is 1 for anyone with
no repeat purchase, so one-time buyers rank as safest; `bgnbd_no_purchase_score` (expected
purchases in the horizon) is reported beside it for that reason.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

DAYS_PER_PERIOD = 7.0
# Tried in order when the unpenalised fit does not converge (lifetimes' own advice).
PENALIZERS = (0.0, 0.001, 0.01, 0.1)


@dataclass
class BgNbdFit:
    params: dict[str, float]
    penalizer: float
    fitter: object  # lifetimes.BetaGeoFitter

    def __getstate__(self) -> dict:
        # The fitted object holds a lambda (not picklable); the four parameters are all it scores with.
        return {"params": self.params, "penalizer": self.penalizer}

    def __setstate__(self, state: dict) -> None:
        import pandas as pd
        from lifetimes import BetaGeoFitter

        self.params, self.penalizer = state["params"], state["penalizer"]
        self.fitter = BetaGeoFitter(penalizer_coef=self.penalizer)
        self.fitter.params_ = pd.Series(self.params)


def bgnbd_inputs(rows: Sequence[Mapping]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(bought, frequency, recency, T) arrays; `bought` marks the rows BG/NBD can describe."""
    n = len(rows)
    bought = np.zeros(n, dtype=bool)
    freq, rec, age = np.zeros(n), np.zeros(n), np.zeros(n)
    for i, row in enumerate(rows):
        if row["first_order_days"] is None or not row["purchase_days"]:
            continue
        bought[i] = True
        freq[i] = row["purchase_days"] - 1
        age[i] = (row["first_order_days"] + 1) / DAYS_PER_PERIOD
        rec[i] = (row["first_order_days"] - row["recency_days"]) / DAYS_PER_PERIOD
    return bought, freq, rec, age


def bgnbd_fit(rows: Sequence[Mapping]) -> BgNbdFit:
    """Fit BG/NBD by maximum likelihood on the rows' purchase histories (no labels: no leakage).

    Identical (frequency, recency, T) triples are fitted once with a weight, which keeps large
    customer bases quick. Raises RuntimeError, in words, when no penalizer makes it converge.
    """
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import ConvergenceError

    bought, freq, rec, age = bgnbd_inputs(rows)
    triples = np.round(np.column_stack([freq[bought], rec[bought], age[bought]]), 4)
    if len(triples) < 10:
        raise RuntimeError(f"BG/NBD needs purchase histories; only {len(triples)} members have one.")
    unique, weights = np.unique(triples, axis=0, return_counts=True)
    last_error = None
    for penalizer in PENALIZERS:
        fitter = BetaGeoFitter(penalizer_coef=penalizer)
        try:
            # lifetimes prints scipy's result on failure, and the optimiser's trial steps overflow
            # (warnings by the hundred) before it converges: neither is news for the caller.
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                fitter.fit(unique[:, 0], unique[:, 1], unique[:, 2], weights=weights, verbose=False)
        except (ConvergenceError, ValueError, FloatingPointError) as exc:
            last_error = exc
            continue
        return BgNbdFit({k: float(v) for k, v in fitter.params_.items()}, penalizer, fitter)
    raise RuntimeError(f"BG/NBD did not converge with any penalizer in {PENALIZERS}: {last_error}")


def bgnbd_churn_score(fit: BgNbdFit, rows: Sequence[Mapping]) -> np.ndarray:
    """1 - P(alive) per row (never-bought rows: 1.0)."""
    bought, freq, rec, age = bgnbd_inputs(rows)
    score = np.ones(len(rows))
    if bought.any():
        alive = fit.fitter.conditional_probability_alive(freq[bought], rec[bought], age[bought])
        score[bought] = 1.0 - np.asarray(alive, dtype=float)
    return score


def bgnbd_no_purchase_score(fit: BgNbdFit, rows: Sequence[Mapping], days: float) -> np.ndarray:
    """Minus the expected number of purchases in the next `days` days (higher = more likely to buy
    nothing); never-bought rows rank highest. Unlike P(alive), this does not treat one-time buyers
    (frequency 0, for whom BG/NBD's P(alive) is 1 by construction) as certainly active."""
    bought, freq, rec, age = bgnbd_inputs(rows)
    score = np.full(len(rows), np.inf)
    if bought.any():
        expected = fit.fitter.conditional_expected_number_of_purchases_up_to_time(
            days / DAYS_PER_PERIOD, freq[bought], rec[bought], age[bought]
        )
        score[bought] = -np.asarray(expected, dtype=float)
    return np.nan_to_num(score, posinf=np.finfo(float).max)


BGNBD_COLUMNS = ("bgnbd_expected_purchases", "bgnbd_p_alive")


def bgnbd_columns(fit: BgNbdFit | None, rows: Sequence[Mapping], days: float) -> np.ndarray:
    """(n, 2) model inputs from a fitted BG/NBD: expected purchases in the next `days` days and
    P(alive); NaN for members who never bought (or everywhere when there is no fit). The fit's
    parameters describe the customer base, so a fit from training scores later snapshots too."""
    out = np.full((len(rows), len(BGNBD_COLUMNS)), np.nan)
    if fit is None or not len(rows):
        return out
    bought, freq, rec, age = bgnbd_inputs(rows)
    if bought.any():
        with np.errstate(all="ignore"):
            expected = fit.fitter.conditional_expected_number_of_purchases_up_to_time(
                days / DAYS_PER_PERIOD, freq[bought], rec[bought], age[bought]
            )
            alive = fit.fitter.conditional_probability_alive(freq[bought], rec[bought], age[bought])
        out[bought, 0] = np.asarray(expected, dtype=float)
        out[bought, 1] = np.asarray(alive, dtype=float)
    out[~np.isfinite(out)] = np.nan
    return out


def bgnbd_fit_or_none(rows: Sequence[Mapping]) -> BgNbdFit | None:
    """bgnbd_fit, or None when the shop has too little history or it does not converge (the
    models then train without the two BG/NBD columns: NaN everywhere, never split on)."""
    try:
        return bgnbd_fit(rows)
    except (RuntimeError, ImportError):
        return None
