"""Training runs: create, execute on a worker, cancel; and the champion/challenger rule.

A run is created (status queued) and its Celery task enqueued after commit. The worker claims it
with a conditional UPDATE (queued -> running), builds the dataset from the database (weak labels
from star ratings, overridden by people's labels; see ml/labels.py), fine-tunes with ml.train
while storing progress on the row, and writes a ModelVersion. The new version becomes active only
if it beats the active one on the *same* test data (the active model is scored on the new run's
test split); the rule, with the TF-IDF + LR baseline as a real candidate, is in
members/reviews/services/model_registry.py. A failed or cancelled run never touches the active model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.utils import timezone

from members.models import (
    MlTask,
    ModelVersion,
    TrainingRun,
    TrainingRunStatus,
)
from members.reviews.model_errors import TrainingError
from members.reviews.selectors.training_rows import review_training_rows
from members.reviews.services.model_registry import (
    ARTIFACT_ONLY_METRICS,
    DEFAULT_CPU_BUDGET_MINUTES,
    model_version_record,
    review_artifact_dir,
    review_train_config,
)
from members.task_queue import task_send_on_commit

logger = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL_S = 2.0  # at most one progress UPDATE per this many seconds while training
LOSS_HISTORY_CAP = 400  # loss points kept on a run; older points are thinned, never the newest
STALE_RUN_AFTER = timedelta(minutes=30)  # a "running" run without progress this long is re-claimable
# Options a person may set when starting a run, with their types; everything else uses the
# TrainConfig defaults (ml/config.py).
RUN_PARAMETERS: dict[str, type] = {
    "epochs": float, "max_train_samples": int, "batch_size": int, "learning_rate": float,
    "max_length": int, "seed": int, "max_minutes": float, "stack_tfidf": bool,
    "language_check": bool,  # False forces a fine-tune of a base model that cannot read the reviews
}


def trainable_tasks() -> tuple[str, ...]:
    """Tasks ml/ can fine-tune today (ml.config.TASKS)."""
    from ml.config import TASKS

    return tuple(TASKS)


def training_run_create(*, task: str, parameters: dict[str, Any] | None = None, created_by=None) -> TrainingRun:
    """Queue a fine-tune of `task`; the train task is enqueued after the transaction commits.

    Raises TrainingError for a task ml/ cannot train or an unknown/ill-typed parameter.
    """
    if task not in trainable_tasks():
        raise TrainingError(f"Training for {task!r} is not available; trainable tasks: {', '.join(trainable_tasks())}.")
    clean: dict[str, Any] = {}
    for name, value in (parameters or {}).items():
        if name not in RUN_PARAMETERS:
            raise TrainingError(f"Unknown training option {name!r}; known: {', '.join(RUN_PARAMETERS)}.")
        if value is None or value == "":
            continue
        if RUN_PARAMETERS[name] is bool and not isinstance(value, bool):
            raise TrainingError(f"{name} must be true or false, got {value!r}.")
        try:
            clean[name] = RUN_PARAMETERS[name](value)
        except (TypeError, ValueError):
            raise TrainingError(f"{name} must be a {RUN_PARAMETERS[name].__name__}, got {value!r}.") from None
    run = TrainingRun.objects.create(task=task, parameters=clean, created_by=created_by)
    task_send_on_commit("members.reviews.train", (run.pk,))
    return run


def training_run_cancel(*, run_id: int) -> TrainingRun:
    """A queued run is cancelled at once; a running one is asked to stop (the worker stops after
    the current batch). Finished runs are left as they are."""
    now = timezone.now()
    TrainingRun.objects.filter(pk=run_id, status=TrainingRunStatus.QUEUED).update(
        status=TrainingRunStatus.CANCELLED, cancel_requested=True, finished_at=now, updated_at=now
    )
    TrainingRun.objects.filter(pk=run_id, status=TrainingRunStatus.RUNNING).update(
        cancel_requested=True, updated_at=now
    )
    return TrainingRun.objects.get(pk=run_id)


def training_run_claim(*, run_id: int) -> bool:
    """queued -> running, or re-claim a running run whose worker died (no progress for STALE_RUN_AFTER).
    True for exactly one caller; a duplicate task delivery gets False and does nothing."""
    now = timezone.now()
    stale = Q(status=TrainingRunStatus.RUNNING, updated_at__lt=now - STALE_RUN_AFTER)
    claimed = (
        TrainingRun.objects.filter(Q(status=TrainingRunStatus.QUEUED) | stale, pk=run_id, cancel_requested=False)
        .update(status=TrainingRunStatus.RUNNING, started_at=now, updated_at=now, error="")
    )
    return claimed == 1


def train_config_for(*, run: TrainingRun, output_dir: Path):
    """The ml TrainConfig of a run: DB columns, the base model setting and the run's options."""
    return review_train_config(task=run.task, output_dir=output_dir, parameters=run.parameters)


class ProgressRecorder:
    """ml's on_progress hook: keeps the loss history and writes progress to the run, throttled."""

    def __init__(self, run_id: int, *, interval_s: float = PROGRESS_WRITE_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.run_id, self.interval_s, self.clock = run_id, interval_s, clock
        self.history: list[dict[str, float]] = []
        self.state = {"step": 0, "total_steps": 0, "epoch": 0.0}
        self.last_write: float | None = None

    def __call__(self, step: int, total_steps: int, epoch: float, loss: float | None, metrics: dict) -> None:
        self.state = {"step": step, "total_steps": total_steps, "epoch": round(epoch, 3)}
        if loss is not None:
            self.history.append({"step": step, "epoch": round(epoch, 3), "loss": round(loss, 5)})
        if metrics:
            self.history.append({"step": step, "epoch": round(epoch, 3),
                                 **{k: round(v, 5) for k, v in metrics.items()}})
        now = self.clock()
        # Evaluations and the last step are always written: they are what people wait for.
        if self.last_write is None or now - self.last_write >= self.interval_s or metrics or step >= total_steps:
            self.flush()

    def flush(self) -> None:
        self.last_write = self.clock()
        self.history = thin_history(self.history, cap=LOSS_HISTORY_CAP)
        TrainingRun.objects.filter(pk=self.run_id).update(
            **self.state, loss_history=self.history, updated_at=timezone.now()
        )


def thin_history(history: list[dict], *, cap: int) -> list[dict]:
    """At most `cap` loss points: drop every second older point until it fits; evaluation points
    (no "loss") and the newest point are always kept, so the curve keeps its shape and its end."""
    losses = [i for i, point in enumerate(history) if "loss" in point]
    while len(losses) > cap:
        drop = set(losses[1:-1:2])
        history = [point for i, point in enumerate(history) if i not in drop]
        losses = [i for i, point in enumerate(history) if "loss" in point]
    return history


def training_run_execute(*, run_id: int) -> TrainingRun | None:
    """Claim and run `run_id` (idempotent: None when another worker has it or it is finished).

    The run ends succeeded (a ModelVersion written, activated if it won), failed (the error in
    words; nothing else changes) or cancelled.
    """
    if not training_run_claim(run_id=run_id):
        return None
    from ml.callbacks import TrainingCancelled
    from ml.device import pick_device
    from ml.train import train

    run = TrainingRun.objects.get(pk=run_id)

    output_dir = review_artifact_dir(task=run.task, name=f"run-{run.pk}")
    recorder = ProgressRecorder(run.pk)
    TrainingRun.objects.filter(pk=run.pk).update(device=str(pick_device()))
    try:
        config = train_config_for(run=run, output_dir=output_dir)
        rows = list(review_training_rows())
        result = train(
            config, rows, on_progress=recorder,
            should_cancel=lambda: TrainingRun.objects.filter(pk=run_id, cancel_requested=True).exists(),
        )
    except TrainingCancelled as exc:
        recorder.flush()
        return _finish(run_id, TrainingRunStatus.CANCELLED, error=str(exc))
    except Exception as exc:  # any failure becomes a failed run, explained, and the active model stays
        logger.exception("Training run %s failed", run_id)
        recorder.flush()
        return _finish(run_id, TrainingRunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
    recorder.flush()
    data = result.run_config.get("data", {})
    TrainingRun.objects.filter(pk=run_id).update(
        dataset_sizes=data, device=result.run_config.get("device", ""),
        metrics={k: v for k, v in result.metrics.items() if k not in ARTIFACT_ONLY_METRICS},
    )
    version = model_version_record(run=run, result=result, rows=rows, config=config)
    return _finish(run_id, TrainingRunStatus.SUCCEEDED, version=version)


def _finish(run_id: int, status: str, *, error: str = "", version: ModelVersion | None = None) -> TrainingRun:
    now = timezone.now()
    TrainingRun.objects.filter(pk=run_id).update(status=status, error=error, finished_at=now, updated_at=now)
    return TrainingRun.objects.get(pk=run_id)


def review_finetune_enqueue(*, task: str = MlTask.SENTIMENT, max_minutes: float | None = DEFAULT_CPU_BUDGET_MINUTES,
                            parameters: dict[str, Any] | None = None, created_by=None) -> TrainingRun:
    """Queue a background fine-tune that stops after `max_minutes` (None: no time limit, e.g. on
    a GPU) and returns the queued TrainingRun; a Celery worker on the gpu queue runs it after the
    transaction commits. When it finishes, model_version_record decides what is served.
    Raises TrainingError for an unknown task or option."""
    options = dict(parameters or {})
    if max_minutes is not None:
        options["max_minutes"] = max_minutes
    return training_run_create(task=task, parameters=options, created_by=created_by)
