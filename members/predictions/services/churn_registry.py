"""The member-model registry (MemberModelVersion) and the bulk writer the churn and forecast
scorers share.

Versioning rule (ml.member_models.promotion, the same as the review models'): a newly trained
version becomes active only when its backtest is clearly better than every baseline (95 % paired
bootstrap interval above zero) and no worse than the active version on the same members; otherwise
it is stored inactive, with a note saying why, and the previous version (if any) keeps scoring.
While no trained version is active, the best baseline is stored and served as a version of its
own (member_model_register_baseline), so members are still scored, and the note says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from members.models import MemberModelVersion
from ml.member_models.promotion import PromotionDecision

SCORE_COPY_BATCH_ROWS = 50_000  # rows per COPY + INSERT ... ON CONFLICT: bounds memory and lock time


class NoActiveModel(LookupError):
    """No model of this kind has been trained yet: run the training first."""


def member_model_artifact_path(*, kind: str, version: int) -> Path:
    return Path(settings.MEMBERHUB_ARTIFACT_DIR) / "member_models" / f"{kind}-v{version}.joblib"


def member_model_active(*, kind: str) -> MemberModelVersion:
    version = MemberModelVersion.objects.filter(kind=kind, active=True).first()
    if version is None:
        raise NoActiveModel(f"No active {kind} model yet; train one first (manage.py refresh_members does).")
    return version


def member_model_backtest_artifact_path(*, kind: str, version: int) -> Path:
    """The model the version's backtest scored (trained one window earlier): later candidates are
    compared with it on their own backtest members."""
    return Path(settings.MEMBERHUB_ARTIFACT_DIR) / "member_models" / f"{kind}-v{version}-backtest.joblib"


def member_model_next_number(*, kind: str) -> int:
    return (MemberModelVersion.objects.filter(kind=kind).aggregate(n=Max("version"))["n"] or 0) + 1


@transaction.atomic
def member_model_register(
    *, kind: str, as_of: date, metrics: dict, backtest_score: float, save: Callable[[Path], Path],
    decision: PromotionDecision, save_backtest: Callable[[Path], Path] | None = None,
) -> MemberModelVersion:
    """Store a trained model (save(path) writes the artifact; save_backtest the backtest's model)
    and activate it when `decision` (ml.member_models.promotion.promotion_decide) says so.

    `backtest_score` is higher-is-better (churn: ROC-AUC; forecast: minus MAE), kept in
    metrics["backtest_score"]; the decision in metrics["promotion"]. Locks the kind's versions so
    two trainings cannot both become active.
    """
    list(MemberModelVersion.objects.select_for_update().filter(kind=kind).values_list("pk"))
    number = member_model_next_number(kind=kind)
    path = save(member_model_artifact_path(kind=kind, version=number))
    if save_backtest is not None:
        save_backtest(member_model_backtest_artifact_path(kind=kind, version=number))
    current = MemberModelVersion.objects.filter(kind=kind, active=True).first()
    if decision.promote and current is not None:
        MemberModelVersion.objects.filter(pk=current.pk).update(active=False)
    note = decision.reason
    if not decision.promote and current is not None:
        note = f"{note} v{current.version} stays active."
    return MemberModelVersion.objects.create(
        kind=kind, version=number, as_of=as_of,
        metrics={**metrics, "backtest_score": backtest_score, "promotion": json_safe(decision.as_dict())},
        artifact_path=str(path), active=decision.promote, note=note,
    )  # fmt: skip


def member_model_serves_baseline(version: MemberModelVersion | None) -> bool:
    return version is not None and isinstance(version.metrics, dict) and version.metrics.get("served") == "baseline"


@transaction.atomic
def member_model_register_baseline(
    *, kind: str, as_of: date, baseline: str, metrics: dict, backtest_score: float, save: Callable[[Path], Path],
    save_backtest: Callable[[Path], Path], note: str,
) -> MemberModelVersion | None:
    """Store the best baseline as a version of `kind` and serve it, when the trained model did not
    earn it: only while no trained version is active (no active version, or a baseline one, which
    the fresher baseline replaces). A trained version that is active keeps scoring (None returned).
    metrics["served"] = "baseline" and metrics["baseline"] name it; later candidates are compared
    with its backtest model like with any active version."""
    list(MemberModelVersion.objects.select_for_update().filter(kind=kind).values_list("pk"))
    current = MemberModelVersion.objects.filter(kind=kind, active=True).first()
    if current is not None and not member_model_serves_baseline(current):
        return None
    number = member_model_next_number(kind=kind)
    path = save(member_model_artifact_path(kind=kind, version=number))
    save_backtest(member_model_backtest_artifact_path(kind=kind, version=number))
    if current is not None:
        MemberModelVersion.objects.filter(pk=current.pk).update(active=False)
    return MemberModelVersion.objects.create(
        kind=kind, version=number, as_of=as_of, artifact_path=str(path), active=True, note=note,
        metrics=json_safe({**metrics, "served": "baseline", "baseline": baseline, "backtest_score": backtest_score,
                           "promotion": {"promote": True, "reason": note, "baseline": baseline}}),
    )  # fmt: skip


def scores_upsert(*, table: str, columns: Sequence[str], rows: Iterable[tuple],
                  keep_on_conflict: Sequence[str] = ()) -> int:  # fmt: skip
    """Upsert score rows keyed by (member_id, as_of): COPY into a temp table, then one
    INSERT ... SELECT ... ON CONFLICT per SCORE_COPY_BATCH_ROWS rows. `columns` must start with
    member_id, as_of. An existing row is rewritten only when a value other than scored_at differs
    (a re-run of the same day with the same model writes nothing); `keep_on_conflict` columns are
    only written on insert (the forecast's tier flags: spend_forecast_flags_set corrects them, and
    writing False first would rewrite every flagged row twice). Returns the rows scored."""
    names = ", ".join(columns)
    changing = [c for c in columns[2:] if c not in keep_on_conflict]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in changing)
    compared = [c for c in changing if c != "scored_at"]
    differs = f"({', '.join(f't.{c}' for c in compared)}) IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in compared)})"
    written = 0
    batch: list[tuple] = []

    def flush() -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            # Dropped explicitly too: inside an outer transaction (a test, a task's atomic block) the
            # ON COMMIT never comes before the next batch.
            cursor.execute("DROP TABLE IF EXISTS pg_temp.score_stage")
            cursor.execute(f"CREATE TEMP TABLE score_stage ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")
            with cursor.copy(f"COPY score_stage ({names}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} AS t ({names}) SELECT {names} FROM score_stage "
                f"ON CONFLICT (member_id, as_of) DO UPDATE SET {updates} WHERE {differs}"
            )
            count = len(batch)  # rowcount leaves out the unchanged rows, which were scored all the same
            cursor.execute("DROP TABLE score_stage")
            return count

    for row in rows:
        batch.append(row)
        if len(batch) == SCORE_COPY_BATCH_ROWS:
            written += flush()
            batch = []
    if batch:
        written += flush()
    return written


def json_safe(value):
    """Metrics as JSON: numpy scalars become Python numbers, NaN and infinity become null."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
