"""The bridge between a training run and whoever started it (CLI, Celery task, test).

``on_progress(step, total_steps, epoch, loss, metrics)`` is called when training starts, at every
logging step (``loss`` set) and after every evaluation (``metrics`` holds ``eval_*`` values).
``should_cancel()`` is polled after every batch (including gradient-accumulation micro-batches);
once it returns True the Trainer stops after that batch, skips any pending evaluation or
checkpoint, and :func:`ml.train.train` raises :class:`TrainingCancelled` without writing an artifact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transformers import TrainerCallback

ProgressHook = Callable[[int, int, float, float | None, dict[str, float]], None]
CancelHook = Callable[[], bool]


class TrainingCancelled(Exception):
    """Raised by train() when should_cancel() asked it to stop."""


class HookCallback(TrainerCallback):
    """``progress`` (0..1, optional): under a time budget, total_steps is reported as the steps
    expected by the deadline (ml.budget), so step / total_steps and its ETA follow the budget."""

    def __init__(self, on_progress: ProgressHook | None, should_cancel: CancelHook | None,
                 progress: Callable[[], float] | None = None) -> None:
        self.on_progress = on_progress
        self.should_cancel = should_cancel
        self.progress = progress
        self.cancelled = False

    def _total_steps(self, state: Any) -> int:
        if self.progress is None or not state.global_step:
            return state.max_steps
        done = self.progress()
        expected = round(state.global_step / done) if done > 0 else state.max_steps
        return max(state.global_step, min(state.max_steps, expected))

    def _report(self, state: Any, loss: float | None, metrics: dict[str, float]) -> None:
        if self.on_progress is not None:
            self.on_progress(state.global_step, self._total_steps(state), float(state.epoch or 0.0), loss, metrics)

    def _poll(self, control: Any) -> Any:
        if not self.cancelled and self.should_cancel is not None and self.should_cancel():
            self.cancelled = True
        if self.cancelled:
            control.should_training_stop = True
            control.should_epoch_stop = True
            control.should_evaluate = False  # a cancelled run should end now, not after one more eval
            control.should_save = False
            control.should_log = False
        return control

    def on_train_begin(self, args, state, control, **kwargs):
        self._report(state, None, {})
        return self._poll(control)

    def on_substep_end(self, args, state, control, **kwargs):
        return self._poll(control)

    def on_step_end(self, args, state, control, **kwargs):
        return self._poll(control)

    def on_epoch_end(self, args, state, control, **kwargs):
        return self._poll(control)

    def on_train_end(self, args, state, control, **kwargs):
        if self.progress is not None and not self.cancelled and self.on_progress is not None:
            # a budgeted run ends when time is up: that is 100 %, whatever max_steps said
            self.on_progress(state.global_step, state.global_step, float(state.epoch or 0.0), None, {})

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        loss = logs.get("loss", logs.get("train_loss"))
        metrics = {k: float(v) for k, v in logs.items() if k.startswith("eval_")}
        self._report(state, None if loss is None else float(loss), metrics)
