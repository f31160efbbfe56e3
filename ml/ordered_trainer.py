"""A Trainer whose evaluation and prediction keep the dataset's order.

``group_by_length=True`` makes training batches pad less, but transformers (4.57) applies the same
length-grouped sampler to ``evaluate()`` and ``predict()`` as well. ``predict().predictions`` then
come back in length-grouped order, and any code that lines them up with its own list of examples
(test labels, per-review scores, thresholds tuned on validation) silently compares the wrong rows.
Evaluation gains nothing from the grouping (no gradients, and it runs once), so it reads in order.
"""

from __future__ import annotations

from torch.utils.data import Dataset, Sampler, SequentialSampler
from transformers import Trainer


class OrderedEvalTrainer(Trainer):
    def _get_eval_sampler(self, eval_dataset: Dataset) -> Sampler | None:
        return SequentialSampler(eval_dataset) if eval_dataset is not None else None
