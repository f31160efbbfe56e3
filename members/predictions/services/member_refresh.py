"""The member-intelligence refresh for one as-of date, in order: features, segments, tier
evaluation, churn, forecast. `manage.py refresh_members` and the Celery chain in
members/predictions/tasks.py run the same steps.

Training: the churn and forecast models are (re)trained during a refresh when no version exists,
when the newest one was trained for a date RETRAIN_EVERY_DAYS or more before as_of (or after it: a
replay of an earlier date gets a model that has not seen that date's future), or when asked. A new
version is served only under the promotion rule (churn_registry, ml/member_models/promotion.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from members.models import MemberModelKind, MemberModelVersion
from members.predictions.services.churn import TrainingWindows, churn_score, churn_train, training_windows
from members.predictions.services.member_features import (
    member_features_compute,
    member_text_embeddings_compute,
)
from members.predictions.services.spend_forecast import spend_forecast_score, spend_forecast_train
from members.segments.services.segments import segments_refresh
from members.tiers.services.tier_evaluation import tier_evaluation_run
from members.tiers.services.tier_warnings import tier_will_downgrade_publish
from ml.progress import Progress

RETRAIN_EVERY_DAYS = 7
STEPS = ("features", "segments", "tiers", "churn", "forecast")


@dataclass
class StepResult:
    step: str
    summary: str
    ok: bool = True


@dataclass
class RefreshContext:
    """What the steps of one refresh share: the date, whether to retrain, and the training windows
    (computed at most once, for churn and forecast alike)."""

    as_of: date
    retrain: bool = False
    windows: TrainingWindows | None = None
    trained: list[str] = field(default_factory=list)

    def training_windows(self) -> TrainingWindows:
        if self.windows is None:
            self.windows = training_windows(as_of=self.as_of)
        return self.windows


def refresh_features(ctx: RefreshContext) -> StepResult:
    written = member_features_compute(as_of=ctx.as_of)
    embedded = member_text_embeddings_compute(as_of=ctx.as_of)
    return StepResult("features", f"{written} member snapshots as of {ctx.as_of} ({embedded} with a text embedding)")


def refresh_segments(ctx: RefreshContext) -> StepResult:
    return StepResult("segments", str(segments_refresh(as_of=ctx.as_of)))


def refresh_tiers(ctx: RefreshContext) -> StepResult:
    """The tier evaluation, then tier.will_downgrade for members about to lose their tier. The
    window metrics come from the features step's snapshot when it covers the policy's window (one
    pass over the orders per refresh; tier_member_metrics_from_snapshot)."""
    r = tier_evaluation_run(as_of=ctx.as_of, from_snapshot=True)
    warned = tier_will_downgrade_publish(as_of=ctx.as_of)
    return StepResult("tiers", f"policy v{r.policy_version}: {r.upgrades_applied} upgrades applied, "
                               f"{r.upgrades_proposed} proposed, {r.downgrades_proposed} downgrades proposed, "
                               f"{warned} will-downgrade warnings")  # fmt: skip


def _needs_training(kind: str, ctx: RefreshContext) -> bool:
    # The newest version, served or not: one the promotion rule refused a few days ago is not
    # retrained every night (at a million members that is minutes each time); a week later it is.
    newest = MemberModelVersion.objects.filter(kind=kind).order_by("-version").first()
    return ctx.retrain or newest is None or not (0 <= (ctx.as_of - newest.as_of).days < RETRAIN_EVERY_DAYS)


def _model_step(step: str, kind: str, ctx: RefreshContext, train: Callable, score: Callable) -> StepResult:
    notes = []
    if _needs_training(kind, ctx):
        try:
            version = train(as_of=ctx.as_of, windows=ctx.training_windows())
            notes.append(f"trained v{version.version} ({version.note})")
        except ValueError as exc:
            notes.append(f"training skipped: {exc}")
    active = MemberModelVersion.objects.filter(kind=kind, active=True).first()
    if active is None:
        return StepResult(step, "; ".join([*notes, "no active model: nothing scored"]), ok=False)
    if active.metrics.get("served") == "baseline":  # no trained version has beaten it yet
        notes.append(f"serving the baseline v{active.version} ({active.metrics.get('baseline')})")
    notes.append(f"{score(as_of=ctx.as_of)} members scored")
    return StepResult(step, "; ".join(notes))


def refresh_churn(ctx: RefreshContext) -> StepResult:
    return _model_step("churn", MemberModelKind.CHURN, ctx, churn_train, churn_score)


def refresh_forecast(ctx: RefreshContext) -> StepResult:
    return _model_step("forecast", MemberModelKind.FORECAST, ctx, spend_forecast_train, spend_forecast_score)


STEP_FUNCTIONS: dict[str, Callable[[RefreshContext], StepResult]] = {
    "features": refresh_features,
    "segments": refresh_segments,
    "tiers": refresh_tiers,
    "churn": refresh_churn,
    "forecast": refresh_forecast,
}


def member_refresh_run(*, as_of: date, retrain: bool = False, on_step: Callable[[StepResult], None] | None = None,
                       progress: Progress | None = None) -> list[StepResult]:  # fmt: skip
    """Run every step in STEPS order for `as_of`; `on_step` sees each result as it finishes, and
    ``progress`` (ml.progress) prints each step's start and finish with its elapsed time."""
    ctx = RefreshContext(as_of=as_of, retrain=retrain)
    progress = progress or Progress.quiet()
    results = []
    for name in STEPS:
        with progress.step(f"members: {name}") as step:
            result = STEP_FUNCTIONS[name](ctx)
            step.summary = result.summary
        results.append(result)
        if on_step:
            on_step(result)
    return results


def member_refresh_step(*, step: str, as_of: date, retrain: bool = False) -> StepResult:
    """One step on its own (the Celery chain runs them as separate tasks)."""
    return STEP_FUNCTIONS[step](RefreshContext(as_of=as_of, retrain=retrain))

