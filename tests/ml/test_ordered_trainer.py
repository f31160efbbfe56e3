"""Predictions from the Trainer line up with the examples they were asked about.

With ``group_by_length=True`` transformers also length-groups evaluate()/predict(); our trainers
must not, or test metrics and validation-tuned thresholds compare the wrong rows.
"""

from __future__ import annotations

import numpy as np
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    TrainingArguments,
)

from ml.ordered_trainer import OrderedEvalTrainer


class _Texts(torch.utils.data.Dataset):
    def __init__(self, texts, tokenizer):
        self.encodings = tokenizer(texts, truncation=True, max_length=64)

    def __len__(self):
        return len(self.encodings["input_ids"])

    def __getitem__(self, i):
        return {**{key: values[i] for key, values in self.encodings.items()}, "labels": i}


def test_predict_keeps_input_order_with_group_by_length(tiny_base_model, tmp_path):
    tokenizer = AutoTokenizer.from_pretrained(tiny_base_model, local_files_only=True)
    # Lengths that a length-grouped sampler would reorder: short and long texts interleaved.
    texts = [("word " * (1 + (i * 7) % 40)).strip() for i in range(90)]
    # One class per text, so each row's label is its position and the order is visible in label_ids.
    model = AutoModelForSequenceClassification.from_pretrained(
        tiny_base_model, num_labels=len(texts), local_files_only=True
    )
    args = TrainingArguments(
        output_dir=str(tmp_path), per_device_eval_batch_size=8, group_by_length=True, report_to=[], use_cpu=True,
    )
    trainer = OrderedEvalTrainer(model=model, args=args, data_collator=DataCollatorWithPadding(tokenizer))

    prediction = trainer.predict(_Texts(texts, tokenizer))

    assert prediction.label_ids.tolist() == list(range(len(texts)))
    model.eval()
    with torch.inference_mode():
        for i in (0, 1, 45, 89):
            alone = model(**tokenizer(texts[i], return_tensors="pt")).logits[0].numpy()
            np.testing.assert_allclose(prediction.predictions[i], alone, rtol=1e-4, atol=1e-5)
