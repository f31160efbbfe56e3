"""The Trainer pieces of the review classifier fine-tune (ml.train): the tokenised dataset, the
class-weighted loss with the time budget's learning-rate schedule, the validation metrics, LoRA."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ml.budget import TimeBudget
from ml.config import TrainConfig
from ml.data import Example
from ml.metrics import classification_metrics
from ml.ordered_trainer import OrderedEvalTrainer


class EncodedDataset(torch.utils.data.Dataset):
    """Tokenised, unpadded examples; DataCollatorWithPadding pads each batch to its own longest."""

    def __init__(self, examples: Sequence[Example], tokenizer: Any, max_length: int) -> None:
        self.encodings = tokenizer([e.text for e in examples], truncation=True, max_length=max_length)
        self.labels = [e.label_id for e in examples]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = {key: values[i] for key, values in self.encodings.items()}
        item["labels"] = self.labels[i]
        return item


class WeightedLossTrainer(OrderedEvalTrainer):
    """Trainer whose loss is class-weighted cross-entropy (weights None = plain cross-entropy) and
    whose learning rate follows the time budget when there is one (ml.budget)."""

    def __init__(self, *args: Any, class_weight: torch.Tensor | None = None, budget: TimeBudget | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.class_weight = class_weight
        self.budget = budget
        # The loss is a per-micro-batch mean, so the Trainer must not rescale it by item counts.
        self.model_accepts_loss_kwargs = False

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        inputs = dict(inputs)  # the Trainer reads the batch again after this call
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weight = None if self.class_weight is None else self.class_weight.to(outputs.logits.device)
        loss = nn.functional.cross_entropy(outputs.logits.float(), labels, weight=weight)
        return (loss, outputs) if return_outputs else loss

    def create_scheduler(self, num_training_steps: int, optimizer: torch.optim.Optimizer = None):
        if self.budget is None:
            return super().create_scheduler(num_training_steps, optimizer)
        if self.lr_scheduler is None:
            self.lr_scheduler = torch.optim.lr_scheduler.LambdaLR(
                self.optimizer if optimizer is None else optimizer, self.budget.lr_factor)
        return self.lr_scheduler


def eval_metrics(prediction: Any) -> dict[str, float]:
    """The Trainer's compute_metrics: validation macro-F1 (picks the best checkpoint) and accuracy."""
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    predicted = np.argmax(logits, axis=-1)
    labels = prediction.label_ids
    num_labels = logits.shape[-1]
    report = classification_metrics(labels.tolist(), predicted.tolist(), [str(i) for i in range(num_labels)])
    return {"macro_f1": report["macro_f1"], "accuracy": report["accuracy"]}


def apply_lora(model: Any, config: TrainConfig) -> Any:
    try:
        from peft import LoraConfig, TaskType, get_peft_model
    except ImportError as exc:
        raise RuntimeError("lora=True needs the optional 'peft' package: pip install peft") from exc
    lora = LoraConfig(
        task_type=TaskType.SEQ_CLS, r=config.lora_r, lora_alpha=2 * config.lora_r, lora_dropout=0.1,
        target_modules=["query", "value"],
    )
    return get_peft_model(model, lora)
