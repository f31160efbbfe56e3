"""Churn risk: train (with a backtest against the baselines), score all members, and re-score one
member when a new review of theirs is scored.

Windows for a training date T: features as of T-180 with labels from (T-180, T-90] train the
backtest model, evaluated on features as of T-90 with labels from (T-90, T]. The model that then
scores members is refitted the same way on the most recent labelled window (T-90 -> (T-90, T]),
so it has seen the latest behaviour; the backtest figures describe how that recipe generalises
one window ahead. Labels: ml.member_models.churn; feature definitions: member_features.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.utils import timezone

from members.models import ChurnScore, MemberModelKind, MemberModelVersion, Review
from members.selectors.member_features import OUTCOME_DAYS, member_feature_rows, member_outcomes
from members.services.churn_registry import (
    json_safe,
    member_model_active,
    member_model_register,
    scores_upsert,
)
from members.services.member_features import member_features_compute
from ml.member_models.churn import ChurnConfig, ChurnModel, churn_backtest, churn_fit
from ml.member_models.features import feature_matrix

CHURN_COLUMNS = ("member_id", "as_of", "probability", "top_reasons", "model_version_id", "scored_at")


@dataclass
class TrainingWindows:
    train_as_of: date
    eval_as_of: date
    train_rows: list[dict]
    eval_rows: list[dict]
    train_churn: list[int]
    eval_churn: list[int]
    train_spend: list[float]
    eval_spend: list[float]


def training_windows(*, as_of: date) -> TrainingWindows:
    """Compute (or refresh) the snapshots at T-180 and T-90 and read them with their outcomes."""
    train_as_of, eval_as_of = as_of - timedelta(days=2 * OUTCOME_DAYS), as_of - timedelta(days=OUTCOME_DAYS)
    parts = []
    for day in (train_as_of, eval_as_of):
        member_features_compute(as_of=day)
        rows = member_feature_rows(as_of=day)
        ids, churned, spend = member_outcomes(as_of=day)
        assert [r["member_id"] for r in rows] == ids  # both ordered by member id over the same snapshot
        parts.append((rows, churned, spend))
    (tr, tc, ts), (er, ec, es) = parts
    return TrainingWindows(train_as_of, eval_as_of, tr, er, tc, ec, ts, es)


def churn_train(*, as_of: date, windows: TrainingWindows | None = None, config: ChurnConfig | None = None
                ) -> MemberModelVersion:  # fmt: skip
    """Backtest and train a churn model for date T = `as_of`; register it (see churn_registry).

    Raises ValueError, in words, when a window has too little history (e.g. everyone churned).
    """
    w = windows or training_windows(as_of=as_of)
    if not w.train_rows or not w.eval_rows:
        raise ValueError(f"No members had joined by {w.train_as_of}; churn needs 180 days of history before {as_of}.")
    backtest = churn_backtest(train_rows=w.train_rows, train_labels=w.train_churn, eval_rows=w.eval_rows,
                              eval_labels=w.eval_churn, config=config)  # fmt: skip
    production = churn_fit(w.eval_rows, w.eval_churn, config)
    auc = backtest.metrics["model"]["roc_auc"]
    metrics = json_safe({
        "backtest": backtest.metrics,
        "windows": {"train_as_of": str(w.train_as_of), "eval_as_of": str(w.eval_as_of), "label_days": OUTCOME_DAYS},
        "production_trained_on": str(w.eval_as_of),
    })  # fmt: skip
    return member_model_register(
        kind=MemberModelKind.CHURN, as_of=as_of, metrics=metrics,
        backtest_score=float(auc) if np.isfinite(auc) else float("-inf"), save=production.save,
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
    X = feature_matrix(rows)
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
def _churn_model(artifact_path: str) -> ChurnModel:
    # Artifacts are never rewritten (each version has its own path), so a process may keep them:
    # review scoring calls churn_bump_for_review once per review.
    return ChurnModel.load(Path(artifact_path))


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
