"""A wall-clock budget for a fine-tune (``TrainConfig.max_minutes``), used well rather than cut off.

* Training stops early enough that what must follow (the last validation, the test predictions,
  the stacked head's embeddings) still fits: that work is estimated from a timed forward pass
  (``calibrate``), or else from the step time (a forward pass ~ a third of a training step).
* The learning rate follows the budget, not the planned epochs: linear warmup then linear decay
  to zero at the expected stop, so a run cut at 40 % of an epoch still ends on a cooled-down model
  instead of one stopped at its peak learning rate.
* Nothing is evaluated or checkpointed while a budgeted run trains (ml.train): the last weights,
  at learning rate zero, are kept and measured once afterwards.

``progress()`` (0..1) is the larger of the step fraction and the time fraction; the CLI's tqdm bar
and the on_progress hook (hence the Models page) show it, so their ETA tracks the budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from transformers import TrainerCallback

FORWARD_SHARE_OF_STEP = 1 / 3  # inference per example vs one training step per example (fwd + bwd)
RESERVE_SAFETY = 1.5  # the work after training is estimated generously: a late finish breaks the promise
RESERVE_FIXED_S = 10.0  # baseline and stacked-head fits, writing the artifact
OPTIONAL_SHARE = 0.5  # of the time left after setup and the required predictions, what the stacked-head rows may use


class TimeBudget:
    """Shared by the callback (which stops training) and the LR schedule (which follows it)."""

    def __init__(self, *, deadline: float, rows_after_training: int, batch_size: int, grad_accum: int,
                 warmup_ratio: float, optional_rows: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        self.deadline = deadline
        self.started = clock()
        self.rows_after_training = rows_after_training  # must be predicted (validation, test)
        self.optional_rows = optional_rows  # worth predicting if time allows (the stacked head's train rows)
        self.examples_per_step = batch_size * grad_accum
        self.warmup_ratio = warmup_ratio
        self.clock = clock
        self.train_start: float | None = None
        self.first_step_end: float | None = None
        self.calibrated_s_per_row: float | None = None
        self.step = 0
        self.max_steps = 0
        self.stopped_by_budget = False

    def calibrate(self, forward_s_per_row: float) -> None:
        """A directly timed forward pass (ml.train times one before training): more trustworthy than
        deriving it from training steps, whose pace under a changing load overstated it (a run
        stopped after 234 s of a 600 s budget)."""
        self.calibrated_s_per_row = forward_s_per_row

    def _forward_s_per_row(self) -> float | None:
        if self.calibrated_s_per_row is not None:
            return RESERVE_SAFETY * self.calibrated_s_per_row
        # The first step carries one-off warm-up (allocations, thread pools), so the pace is taken
        # from the steps after it; until then only the fixed reserve is kept.
        if self.step < 2 or self.first_step_end is None:
            return None
        per_example = (self.clock() - self.first_step_end) / (self.step - 1) / self.examples_per_step
        return RESERVE_SAFETY * per_example * FORWARD_SHARE_OF_STEP

    def optional_rows_allowed(self) -> int:
        """How many optional rows fit: they may use OPTIONAL_SHARE of the time that setup, the fixed
        reserve and the required predictions leave; training gets the rest. (Measured on the clothing
        reviews, the stacked head over even a frozen encoder beats TF-IDF alone, while a few dozen
        fine-tuning steps do not, so a tight budget must not starve it.)"""
        per_row = self._forward_s_per_row()
        if per_row is None or self.train_start is None:
            return self.optional_rows
        left = self.deadline - self.train_start - RESERVE_FIXED_S - self.rows_after_training * per_row
        return int(min(self.optional_rows, max(0.0, OPTIONAL_SHARE * left / per_row)))

    def reserve_s(self) -> float:
        """Seconds kept for the work after training, from the step time measured so far."""
        per_row = self._forward_s_per_row()
        if per_row is None:
            return RESERVE_FIXED_S
        return RESERVE_FIXED_S + (self.rows_after_training + self.optional_rows_allowed()) * per_row

    def stop_at(self) -> float:
        return self.deadline - self.reserve_s()

    def progress(self) -> float:
        """Fraction of training done, by steps or by time, whichever is further along."""
        by_steps = self.step / self.max_steps if self.max_steps else 0.0
        if self.train_start is None:
            return by_steps
        span = max(self.stop_at() - self.train_start, 1e-6)
        return min(1.0, max(by_steps, (self.clock() - self.train_start) / span))

    def lr_factor(self, _step: int) -> float:
        """Linear warmup over the first warmup_ratio of progress, then linear decay to 0."""
        done = self.progress()
        if self.warmup_ratio > 0 and done < self.warmup_ratio:
            return max(done / self.warmup_ratio, 0.02)
        return max(0.0, (1.0 - done) / max(1.0 - self.warmup_ratio, 1e-6))

    def over(self) -> bool:
        return self.clock() >= self.stop_at()


class TimeBudgetCallback(TrainerCallback):
    def __init__(self, budget: TimeBudget) -> None:
        self.budget = budget

    def on_train_begin(self, args, state, control, **kwargs):
        self.budget.train_start = self.budget.clock()
        self.budget.max_steps = state.max_steps
        return control

    def on_step_end(self, args, state, control, **kwargs):
        self.budget.step = state.global_step
        if state.global_step == 1:
            self.budget.first_step_end = self.budget.clock()
        if not control.should_training_stop and self.budget.over():
            self.budget.stopped_by_budget = True
            control.should_training_stop = True
        return control


class ProgressBarCallback(TrainerCallback):
    """A tqdm bar over the budgeted progress (0-100 %), with ETA and the latest loss, for the CLI."""

    def __init__(self, budget: TimeBudget) -> None:
        self.budget = budget
        self.bar: Any = None

    def on_train_begin(self, args, state, control, **kwargs):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=100, unit="%", desc="training (time budget)", bar_format=(
            "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}{postfix}]"))
        return control

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.n = round(100 * self.budget.progress(), 1)
            self.bar.refresh()
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.bar is not None and logs and "loss" in logs:
            self.bar.set_postfix(step=state.global_step, loss=f"{logs['loss']:.4f}")
        return control

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.n = 100
            self.bar.close()
            self.bar = None
        return control
