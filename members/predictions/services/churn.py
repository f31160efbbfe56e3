"""Churn risk: train (with a backtest against the baselines), score all members, and re-score one
member when a new review of theirs is scored.

The recipe for a model date T (`churn_recipe_fit`): gradient-boosted trees with BG/NBD columns,
calibrated by cross-fitting on the most recent labelled window (features as of T-90, labels
from (T-90, T]), then shifted by last year's seasonal change when the data reaches back a year
(members.predictions.services.member_windows). The registry's backtest runs the same recipe one window
earlier (model date T-90: fitted on T-180, evaluated on features as of T-90 against (T-90, T])
next to recency and BG/NBD on the same members; promotion follows ml.member_models.promotion.
While no trained version is active, the better baseline is served instead (churn_baseline_serve).
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.utils import timezone

from members.models import ChurnScore, MemberModelKind, MemberModelVersion, Review
from members.predictions.selectors.member_features import OUTCOME_DAYS, member_feature_rows
from members.predictions.services.churn_registry import (
    json_safe,
    member_model_active,
    member_model_register,
    member_model_register_baseline,
    scores_upsert,
)
from members.predictions.services.member_features import member_features_compute
from members.predictions.services.member_model_compare import active_backtest_predictions
from members.predictions.services.member_windows import TrainingWindows, training_windows
from ml.member_models.churn import (
    ChurnConfig,
    ChurnModel,
    churn_backtest_metrics,
    churn_fit,
    churn_seasonal_shift,
)
from ml.member_models.metrics import roc_auc
from ml.member_models.promotion import promotion_decide
from ml.member_models.served_baselines import (
    BASELINE_NAMES,
    ChurnBaselineModel,
    best_churn_baseline,
    churn_artifact_load,
    churn_baseline_fit,
)

__all__ = ["TrainingWindows", "churn_recipe_fit", "churn_score", "churn_train", "training_windows"]

CHURN_COLUMNS = ("member_id", "as_of", "probability", "top_reasons", "model_version_id", "scored_at")


def churn_recipe_fit(*, windows: TrainingWindows, model_date: date, config: ChurnConfig | None = None) -> ChurnModel:
    """The churn model for `model_date` from labelled windows that end by it (nothing later)."""
    latest = windows.latest(before=model_date)
    if not latest.rows:
        raise ValueError(f"No members had joined by {latest.as_of}; churn needs {2 * windows.horizon_days} days "
                         f"of history before {model_date}.")  # fmt: skip
    model = churn_fit(latest.rows, latest.churned, config)
    seasonal = windows.seasonal(model_date)
    if seasonal is not None:
        season, before = seasonal
        model.seasonal_shift = churn_seasonal_shift(
            model, season_rows=season.rows, season_labels=season.churned,
            before_rows=before.rows, before_labels=before.churned,
        )  # fmt: skip
    return model


def churn_train(*, as_of: date, windows: TrainingWindows | None = None, config: ChurnConfig | None = None
                ) -> MemberModelVersion:  # fmt: skip
    """Backtest and train a churn model for date T = `as_of`; register it (see churn_registry).

    Raises ValueError, in words, when a window has too little history (e.g. everyone churned).
    """
    w = windows or training_windows(as_of=as_of)
    if not w.train_rows or not w.eval_rows:
        raise ValueError(f"No members had joined by {w.train_as_of}; churn needs 180 days of history before {as_of}.")
    if len(set(w.train_churn)) < 2 or len(set(w.eval_churn)) < 2:
        raise ValueError(f"Churn needs both churners and buyers in the windows as of {w.train_as_of} and "
                         f"{w.eval_as_of}.")  # fmt: skip
    backtest_model = churn_recipe_fit(windows=w, model_date=w.eval_as_of, config=config)
    metrics, scores = churn_backtest_metrics(backtest_model, w.eval_rows, w.eval_churn)
    production = churn_recipe_fit(windows=w, model_date=as_of, config=config)
    y = np.asarray(w.eval_churn)
    active, active_note = active_backtest_predictions(
        kind=MemberModelKind.CHURN, eval_as_of=w.eval_as_of, rows=w.eval_rows, predict=lambda m, rows: m.predict(rows)
    )  # fmt: skip
    decision = promotion_decide(
        roc_auc, y, scores["model"], metric="ROC-AUC",
        baselines={name: scores[name] for name in ("recency", "bgnbd_expected_purchases") if name in scores},
        active=active, active_name=active_note,
    )  # fmt: skip
    auc = metrics["model"]["roc_auc"]
    metrics = json_safe({
        "backtest": metrics,
        "windows": {"train_as_of": str(w.train_as_of), "eval_as_of": str(w.eval_as_of), "label_days": OUTCOME_DAYS},
        "production_trained_on": str(w.eval_as_of),
        "seasonal_shift": round(production.seasonal_shift, 4),
    })  # fmt: skip
    candidate = member_model_register(
        kind=MemberModelKind.CHURN, as_of=as_of, metrics=metrics,
        backtest_score=float(auc) if np.isfinite(auc) else float("-inf"), save=production.save,
        save_backtest=backtest_model.save, decision=decision,
    )  # fmt: skip
    if not decision.promote:
        churn_baseline_serve(windows=w, as_of=as_of, backtest=metrics["backtest"], candidate=candidate)
    return candidate


def churn_baseline_serve(*, windows: TrainingWindows, as_of: date, backtest: dict,
                         candidate: MemberModelVersion) -> MemberModelVersion | None:  # fmt: skip
    """Serve the better churn baseline of `backtest` (recency or BG/NBD expected purchases) as a
    version of its own while no trained version is active (churn_registry.member_model_register_baseline),
    its probabilities calibrated on the latest labelled window; backtested one window earlier like
    the trained recipe. Returns the served version, or None when a trained one keeps scoring."""
    w = windows
    source = best_churn_baseline(backtest)
    earlier, latest = w.latest(before=w.eval_as_of), w.latest(before=as_of)
    backtest_baseline = churn_baseline_fit(earlier.rows, earlier.churned, source)
    metrics, _ = churn_backtest_metrics(backtest_baseline, w.eval_rows, w.eval_churn)
    production = churn_baseline_fit(latest.rows, latest.churned, source)
    served = BASELINE_NAMES[production.config.source]
    versus = (candidate.metrics.get("promotion") or {}).get("versus") or {}
    lost = [BASELINE_NAMES.get(name, name) for name in ("recency", "bgnbd_expected_purchases")
            if name in versus and not (versus[name].get("low") or 0) > 0] or ["the baselines"]  # fmt: skip
    auc = metrics["model"]["roc_auc"]
    note = (f"Baseline served: the churn model (v{candidate.version}) is not yet clearly better than "
            f"{' or '.join(lost)} on your history, so MemberHub serves {served}'s estimate, as a churn "
            f"probability calibrated (isotonic) on the latest labelled window (backtest ROC-AUC {auc:.3f}). "
            f"A trained version replaces it once it is clearly better.")  # fmt: skip
    return member_model_register_baseline(
        kind=MemberModelKind.CHURN, as_of=as_of, baseline=served, backtest_score=float(auc) if np.isfinite(auc) else float("-inf"),
        metrics={"backtest": metrics, "windows": candidate.metrics.get("windows"), "production_trained_on": str(latest.as_of),
                 "seasonal_shift": 0.0},
        save=production.save, save_backtest=backtest_baseline.save, note=note,
    )  # fmt: skip


def churn_score(*, as_of: date, member_ids: list[int] | None = None) -> int:
    """Score members' churn risk as of `as_of` with the active model; upsert ChurnScore rows.

    The features for `as_of` must exist (member_features_compute). Returns rows written.
    """
    version = member_model_active(kind=MemberModelKind.CHURN)
    model = _churn_model(version.artifact_path)
    rows = member_feature_rows(as_of=as_of, member_ids=member_ids)
    if not rows:
        return 0
    X = model.matrix(rows)
    prob = model.predict_matrix(X)
    reasons = model.explain_matrix(X, prob)
    now = timezone.now()
    return scores_upsert(
        table=ChurnScore._meta.db_table,
        columns=CHURN_COLUMNS,
        rows=((row["member_id"], as_of, float(p), json.dumps(r), version.pk, now)
              for row, p, r in zip(rows, prob, reasons, strict=True)),
    )  # fmt: skip


@lru_cache(maxsize=2)
def _churn_model(artifact_path: str) -> ChurnModel | ChurnBaselineModel:
    # Artifacts are never rewritten (each version has its own path), so a process may keep them:
    # review scoring calls churn_bump_for_review once per review.
    return churn_artifact_load(Path(artifact_path))


def churn_bump_for_review(*, review_id: int) -> ChurnScore | None:
    """Re-score the churn risk of a review's author today, with fresh features that include it.

    Called by the review scoring side once a review has its sentiment/topics, so a negative review
    about service or delivery shows in the member's risk now rather than at the nightly refresh.
    Returns the member's new ChurnScore, or None when the review is gone or no churn model exists yet.
    """
    member_id = Review.objects.filter(pk=review_id).values_list("member_id", flat=True).first()
    if member_id is None:
        return None
    today = timezone.localdate()
    try:
        member_model_active(kind=MemberModelKind.CHURN)
    except LookupError:
        return None
    member_features_compute(as_of=today, member_ids=[member_id])
    churn_score(as_of=today, member_ids=[member_id])
    return ChurnScore.objects.get(member_id=member_id, as_of=today)
