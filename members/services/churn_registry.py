"""The member-model registry (MemberModelVersion) and the bulk writer the churn and forecast
scorers share.

Versioning rule: a newly trained version becomes active when there is no active version of its
kind, or when its backtest score is at least the active one's; otherwise it is stored inactive,
with a note saying why, and the previous version keeps scoring.
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


@transaction.atomic
def member_model_register(
    *, kind: str, as_of: date, metrics: dict, backtest_score: float, save: Callable[[Path], Path]
) -> MemberModelVersion:
    """Store a trained model (save(path) writes the artifact) and activate it if it backtests no worse.

    `backtest_score` is higher-is-better (churn: ROC-AUC; forecast: minus MAE) and is kept in
    metrics["backtest_score"] so later versions compare against it. Locks the kind's versions so
    two trainings cannot both become active.
    """
    list(MemberModelVersion.objects.select_for_update().filter(kind=kind).values_list("pk"))
    number = (MemberModelVersion.objects.filter(kind=kind).aggregate(n=Max("version"))["n"] or 0) + 1
    path = save(member_model_artifact_path(kind=kind, version=number))
    current = MemberModelVersion.objects.filter(kind=kind, active=True).first()
    previous = current.metrics.get("backtest_score") if current else None
    better = previous is None or backtest_score >= previous
    if current is None:
        note = "First version: activated."
    elif better:
        note = f"Activated: backtest {backtest_score:.4f} >= v{current.version}'s {previous:.4f}."
        MemberModelVersion.objects.filter(pk=current.pk).update(active=False)
    else:
        note = f"Kept v{current.version} active: backtest {backtest_score:.4f} < its {previous:.4f}."
    return MemberModelVersion.objects.create(
        kind=kind, version=number, as_of=as_of, metrics={**metrics, "backtest_score": backtest_score},
        artifact_path=str(path), active=better, note=note,
    )  # fmt: skip


def scores_upsert(*, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Upsert score rows keyed by (member_id, as_of): COPY into a temp table, then one
    INSERT ... SELECT ... ON CONFLICT per SCORE_COPY_BATCH_ROWS rows. `columns` must start with
    member_id, as_of. Returns rows written."""
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[2:])
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
                f"INSERT INTO {table} ({names}) SELECT {names} FROM score_stage "
                f"ON CONFLICT (member_id, as_of) DO UPDATE SET {updates}"
            )
            count = cursor.rowcount
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
