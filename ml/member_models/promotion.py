"""When a newly trained member model (churn, spend forecast) may replace the active one.

The same rule as the review models (ml/selection.py): a candidate is served only when it is
clearly better than every baseline on the same held-out members, "clearly" meaning the lower end
of the 95 % paired bootstrap interval of the difference is above zero (ml.bootstrap). Against the
active version, scored on the same members, its point estimate must be at least as good: a tie
is the same recipe on fresher data, which is worth serving. The reason, with every margin, is
kept in words for the Models page. Plain Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ml.bootstrap import paired_bootstrap_statistic

BOOTSTRAP_MAX_ROWS = 50_000  # members resampled: past this the interval is already narrow
BOOTSTRAP_RESAMPLES = 500


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str
    metric: str
    versus: dict[str, dict] = field(default_factory=dict)  # name -> candidate minus it: difference, low, high

    def as_dict(self) -> dict:
        return {"promote": self.promote, "reason": self.reason, "metric": self.metric, "versus": self.versus}


def _describe(name: str, interval: dict, metric: str) -> str:
    return (f"vs {name} {interval['difference']:+.4f} {metric} "
            f"(95% interval {interval['low']:+.4f} to {interval['high']:+.4f})")  # fmt: skip


def promotion_decide(
    statistic: Callable[[np.ndarray, np.ndarray], float],
    truth: np.ndarray,
    candidate: np.ndarray,
    *,
    metric: str,
    baselines: Mapping[str, np.ndarray],
    active: np.ndarray | None = None,
    active_name: str = "the active version",
    seed: int = 0,
) -> PromotionDecision:
    """Apply the rule to predictions of the same rows; `statistic(truth, prediction)` is
    higher-is-better (ROC-AUC; minus MAE). Rows beyond BOOTSTRAP_MAX_ROWS are sampled evenly."""
    truth = np.asarray(truth)
    rows = np.arange(len(truth))
    if len(rows) > BOOTSTRAP_MAX_ROWS:
        rows = np.random.default_rng(seed).choice(len(truth), size=BOOTSTRAP_MAX_ROWS, replace=False)

    def compare(other: np.ndarray) -> dict:
        interval = paired_bootstrap_statistic(statistic, truth[rows], np.asarray(candidate)[rows],
                                              np.asarray(other)[rows], resamples=BOOTSTRAP_RESAMPLES, seed=seed)
        result = interval.as_dict()
        result["difference"] = round(float(statistic(truth, candidate) - statistic(truth, other)), 6)
        return result

    versus = {name: compare(pred) for name, pred in baselines.items()}
    beaten = [name for name, v in versus.items() if v["low"] > 0]
    parts = [_describe(name, v, metric) for name, v in versus.items()]
    if active is not None:
        versus[active_name] = compare(active)
        parts.append(_describe(active_name, versus[active_name], metric))
    margins = "; ".join(parts)
    if len(beaten) < len(baselines):
        lost = ", ".join(name for name in baselines if name not in beaten)
        return PromotionDecision(False, f"Not served: not clearly better than {lost} ({margins}).", metric, versus)
    if active is not None and versus[active_name]["difference"] < 0:
        return PromotionDecision(False, f"Kept {active_name}: the new version scores lower ({margins}).", metric, versus)
    return PromotionDecision(True, f"Served: clearly better than every baseline ({margins}).", metric, versus)
