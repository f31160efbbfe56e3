"""The active member model's predictions on a candidate's backtest members, for the promotion rule.

Each version keeps the model its own backtest scored (trained one window before its date,
churn_registry.member_model_backtest_artifact_path). That model is a fair opponent on a
candidate's evaluation window only when it saw no label from it: its training labels end at its
own evaluation date, which must not be after the candidate's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import joblib
import numpy as np

from members.models import MemberModelVersion
from members.predictions.services.churn_registry import member_model_backtest_artifact_path


def active_backtest_predictions(
    *, kind: str, eval_as_of: date, rows: Sequence[dict], predict: Callable[[object, Sequence[dict]], np.ndarray]
) -> tuple[np.ndarray | None, str]:
    """(the active version's backtest model's predictions on `rows`, its name), or (None, why not)."""
    active = MemberModelVersion.objects.filter(kind=kind, active=True).first()
    if active is None:
        return None, "no active version"
    path = member_model_backtest_artifact_path(kind=kind, version=active.version)
    their_eval = (active.metrics.get("windows") or {}).get("eval_as_of")
    if not path.is_file() or their_eval is None:
        return None, f"v{active.version} (no backtest model kept)"
    if date.fromisoformat(their_eval) > eval_as_of:
        return None, f"v{active.version} (trained on later data than this backtest window)"
    try:
        model = joblib.load(Path(path))
        return np.asarray(predict(model, rows), dtype=float), f"active v{active.version}"
    except Exception as exc:  # noqa: BLE001 -- an unreadable old artifact must not block training
        return None, f"v{active.version} (its backtest model cannot be read: {exc})"
