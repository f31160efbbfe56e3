"""Which model to serve: a challenger is served only when it clearly beats the baseline and the
active model on the same held-out rows.

"Clearly" means the lower end of the 95 % paired bootstrap interval of the macro-F1 difference
is above zero (ml.bootstrap.paired_bootstrap_macro_f1). When the challenger is not clearly better,
the TF-IDF + LR baseline is served if nothing is active yet or it clearly beats the active model;
otherwise the active model stays. So a worse model is never chosen silently: the reason says
which one is served and by how much it won or lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ml.bootstrap import paired_bootstrap_macro_f1

CHALLENGER, BASELINE, ACTIVE = "challenger", "baseline", "active"
BASELINE_SERVED_MESSAGE = (
    "The fine-tuned model is not yet better than keyword statistics on your reviews: serving the baseline; "
    "more labelled reviews or a GPU will change that."
)


@dataclass(frozen=True)
class ServingDecision:
    served: str  # CHALLENGER, BASELINE or ACTIVE
    reason: str  # in words, with the margins
    vs_baseline: dict[str, float] | None  # challenger - baseline (paired bootstrap), None without a baseline
    vs_active: dict[str, float] | None  # challenger - active, None without an active model
    baseline_vs_active: dict[str, float] | None = None  # only computed when the challenger lost

    @property
    def challenger_wins(self) -> bool:
        return self.served == CHALLENGER

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "challenger_wins": self.challenger_wins}


def clearly_better(comparison: dict[str, float] | None) -> bool:
    return comparison is not None and comparison["low"] > 0


def describe(comparison: dict[str, float]) -> str:
    """'+0.031 macro-F1 (95% interval +0.008 to +0.055, 962 reviews)'."""
    return (f"{comparison['delta']:+.3f} macro-F1 ({comparison['confidence']:.0%} interval "
            f"{comparison['low']:+.3f} to {comparison['high']:+.3f}, {comparison['n']} reviews)")


def decide_serving(
    y_true: Sequence[int], challenger: Sequence[int], *, num_labels: int,
    baseline: Sequence[int] | None = None, active: Sequence[int] | None = None,
    challenger_name: str = "the fine-tuned model", active_name: str = "the active model", seed: int = 0,
) -> ServingDecision:
    """Apply the rule in the module docstring to test predictions of the same rows (label ids).

    ``baseline`` None: the challenger is itself the baseline (or there is none) and only has to
    beat the active model.
    """
    vs_baseline = None if baseline is None else paired_bootstrap_macro_f1(
        y_true, challenger, baseline, num_labels, seed=seed)
    vs_active = None if active is None else paired_bootstrap_macro_f1(y_true, challenger, active, num_labels, seed=seed)
    beats_baseline = baseline is None or clearly_better(vs_baseline)
    beats_active = active is None or clearly_better(vs_active)
    parts = []
    if vs_baseline is not None:
        parts.append(f"vs TF-IDF + LR {describe(vs_baseline)}")
    if vs_active is not None:
        parts.append(f"vs {active_name} {describe(vs_active)}")
    margins = "; ".join(parts)
    if beats_baseline and beats_active:
        reason = f"{challenger_name.capitalize()} is clearly better: serving it" + (f" ({margins})." if margins else ".")
        return ServingDecision(CHALLENGER, reason, vs_baseline, vs_active)
    if baseline is None:
        reason = f"{challenger_name.capitalize()} is not clearly better than {active_name} ({margins}): keeping {active_name}."
        return ServingDecision(ACTIVE, reason, vs_baseline, vs_active)
    if active is None:
        return ServingDecision(BASELINE, f"{BASELINE_SERVED_MESSAGE} ({margins}.)", vs_baseline, vs_active)
    baseline_vs_active = paired_bootstrap_macro_f1(y_true, baseline, active, num_labels, seed=seed)
    if clearly_better(baseline_vs_active):
        reason = (f"{BASELINE_SERVED_MESSAGE} The baseline also beats {active_name}: "
                  f"{describe(baseline_vs_active)} ({margins}.)")
        return ServingDecision(BASELINE, reason, vs_baseline, vs_active, baseline_vs_active)
    reason = (f"{challenger_name.capitalize()} is not clearly better than both TF-IDF + LR and {active_name} "
              f"({margins}): keeping {active_name}.")
    return ServingDecision(ACTIVE, reason, vs_baseline, vs_active, baseline_vs_active)
