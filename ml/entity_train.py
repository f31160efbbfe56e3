"""Token-classification head for entities, trained on the rule extractor's weak labels.

Rows are mappings with ``text`` and ``spans`` (EntitySpan objects or dicts with start/end/label);
:func:`weak_entity_rows` builds them with ml.entities.RuleEntityExtractor. Tokens get BIO tags
from the spans via the fast tokenizer's offset mapping (special tokens are ignored in the loss).
Training uses AutoModelForTokenClassification and the Hugging Face Trainer (AdamW, warmup,
early stopping on validation span micro-F1). Metrics are span-level, exact match of
(start, end, label), per entity type and micro-averaged, on a seeded random test split.

Artifact directory (``<dir>.partial`` renamed at the end by ml.artifacts): ``model/``
(safetensors, config with the BIO id2label, tokenizer), ``metrics.json``, ``config.json``.

:class:`ModelEntityExtractor` loads it and returns character spans like the rule extractor; a
text longer than ``max_length`` tokens is read in overlapping windows (``stride`` tokens shared)
and the windows' spans are merged, so long reviews keep their later mentions.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import (
    AutoModelForTokenClassification,
    AutoTokenizer,
    DataCollatorForTokenClassification,
    EarlyStoppingCallback,
    PrinterCallback,
    Trainer,
    set_seed,
)

from ml.artifacts import ArtifactWriter
from ml.base_model import apply_offline_default, resolve_base_model
from ml.callbacks import CancelHook, HookCallback, ProgressHook, TrainingCancelled
from ml.config import EntityTrainConfig
from ml.device import autocast_for, pick_device
from ml.entities import (
    BIO_LABELS,
    ENTITY_TYPES,
    IGNORE_INDEX,
    EntitySpan,
    RuleEntityExtractor,
    bio_labels,
    decode_bio,
    resolve_overlaps,
)
from ml.scoring import ArtifactError
from ml.trainer_args import training_arguments

__all__ = ["EntityTrainConfig", "ModelEntityExtractor", "TrainingCancelled", "span_metrics", "train_entities",
           "weak_entity_rows"]


def weak_entity_rows(texts: Sequence[str], extractor: RuleEntityExtractor) -> list[dict[str, Any]]:
    return [{"text": t, "spans": spans} for t, spans in zip(texts, extractor.extract(texts))]


def _spans(row: Mapping[str, Any]) -> list[EntitySpan]:
    text = str(row["text"])
    result = []
    for s in row.get("spans") or ():
        if not isinstance(s, EntitySpan):
            s = EntitySpan(int(s["start"]), int(s["end"]), str(s["label"]), text[int(s["start"]):int(s["end"])], 1.0)
        if s.label not in ENTITY_TYPES or not 0 <= s.start < s.end <= len(text):
            raise ValueError(f"bad span {s} for a text of {len(text)} characters")
        result.append(s)
    return result


def span_metrics(gold: Sequence[Sequence[EntitySpan]], predicted: Sequence[Sequence[EntitySpan]]) -> dict[str, Any]:
    """Exact-match span precision/recall/F1 per entity type and micro-averaged."""
    counts = {kind: [0, 0, 0] for kind in ENTITY_TYPES}  # tp, fp, fn
    for g, p in zip(gold, predicted):
        gold_set = {(s.start, s.end, s.label) for s in g}
        pred_set = {(s.start, s.end, s.label) for s in p}
        for _, _, label in gold_set & pred_set:
            counts[label][0] += 1
        for _, _, label in pred_set - gold_set:
            counts[label][1] += 1
        for _, _, label in gold_set - pred_set:
            counts[label][2] += 1

    def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}

    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return {"per_type": {k: prf(*c) for k, c in counts.items()}, "micro": prf(*total)}


class _EntityDataset(torch.utils.data.Dataset):
    def __init__(self, rows: Sequence[Mapping[str, Any]], tokenizer: Any, max_length: int) -> None:
        texts = [str(r["text"]) for r in rows]
        encoded = tokenizer(texts, truncation=True, max_length=max_length, return_offsets_mapping=True)
        self.items = []
        for i, row in enumerate(rows):
            special = [sid is None for sid in encoded.sequence_ids(i)]
            labels = bio_labels(encoded["offset_mapping"][i], _spans(row), special)
            self.items.append({"input_ids": encoded["input_ids"][i], "attention_mask": encoded["attention_mask"][i],
                               **({"token_type_ids": encoded["token_type_ids"][i]} if "token_type_ids" in encoded else {}),
                               "labels": labels})

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]


def train_entities(
    config: EntityTrainConfig, rows: Iterable[Mapping[str, Any]], *,
    on_progress: ProgressHook | None = None, should_cancel: CancelHook | None = None,
) -> Path:
    """Fine-tune a BIO token-classification head on ``rows``; returns the artifact directory.

    Raises ValueError for bad spans or too few rows, FileExistsError for a non-empty output
    directory, TrainingCancelled when ``should_cancel()`` returned True.
    """
    started = time.monotonic()
    rows = [r for r in rows if str(r.get("text") or "").strip()]
    shuffled = list(rows)
    random.Random(config.seed).shuffle(shuffled)
    a, b = round(len(shuffled) * config.split[0]), round(len(shuffled) * (config.split[0] + config.split[1]))
    train_rows, val_rows, test_rows = shuffled[:a], shuffled[a:b], shuffled[b:]
    if not (train_rows and val_rows and test_rows):
        raise ValueError(f"{len(rows)} rows with text are too few for a train/validation/test split.")
    with ArtifactWriter(config.output_dir) as artifact:
        set_seed(config.seed)
        base = resolve_base_model(config.base_model)
        tokenizer = AutoTokenizer.from_pretrained(base.location, local_files_only=base.local_files_only)
        if not tokenizer.is_fast:
            raise ValueError(f"{base.location} has no fast tokenizer; offsets are needed for BIO tags.")
        model = AutoModelForTokenClassification.from_pretrained(
            base.location, num_labels=len(BIO_LABELS), id2label=dict(enumerate(BIO_LABELS)),
            label2id={label: i for i, label in enumerate(BIO_LABELS)}, local_files_only=base.local_files_only,
        )
        val_data = _EntityDataset(val_rows, tokenizer, config.max_length)

        def eval_metrics(prediction: Any) -> dict[str, float]:
            # token-level micro-F1 over entity tags; span metrics on test use the full decoder below
            predicted = np.argmax(prediction.predictions, axis=-1)
            gold = prediction.label_ids
            mask = gold != IGNORE_INDEX
            tp = float(((predicted == gold) & (gold > 0) & mask).sum())
            fp = float(((predicted != gold) & (predicted > 0) & mask).sum())
            fn = float(((predicted != gold) & (gold > 0) & mask).sum())
            return {"entity_f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0}

        args = training_arguments(config, artifact.checkpoint_dir, metric="entity_f1", group_by_length=False)
        hooks = HookCallback(on_progress, should_cancel)
        callbacks: list[Any] = [hooks]
        if config.early_stopping_patience:
            callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
        trainer = Trainer(
            model=model, args=args, train_dataset=_EntityDataset(train_rows, tokenizer, config.max_length),
            eval_dataset=val_data, data_collator=DataCollatorForTokenClassification(tokenizer),
            compute_metrics=eval_metrics, callbacks=callbacks,
        )
        trainer.remove_callback(PrinterCallback)
        train_output = trainer.train()
        if hooks.cancelled:
            raise TrainingCancelled(f"training cancelled at step {trainer.state.global_step}")
        artifact.save_model(trainer.model, tokenizer)
        run_config = {
            "task": "entities", "created_at": datetime.now(UTC).isoformat(), "training": config.to_dict(),
            "max_length": config.max_length, "base_model": base.to_dict(), "labels": list(BIO_LABELS),
            "data": {"rows": len(rows), "train_rows": len(train_rows), "validation_rows": len(val_rows),
                     "test_rows": len(test_rows), "split_strategy": f"seeded random (seed {config.seed})"},
            "device": str(trainer.args.device), "duration_s": round(time.monotonic() - started, 1),
        }
        artifact.write_json("config.json", run_config)
        extractor = ModelEntityExtractor(artifact.partial, device=str(trainer.args.device))
        test_texts = [str(r["text"]) for r in test_rows]
        metrics = {
            "task": "entities", "test_size": len(test_rows),
            "test": span_metrics([_spans(r) for r in test_rows], extractor.extract(test_texts)),
            "best_validation_entity_f1": trainer.state.best_metric, "train_loss": train_output.training_loss,
            "epochs_run": trainer.state.epoch, "steps_run": trainer.state.global_step,
            "log_history": trainer.state.log_history,
        }
        artifact.write_json("metrics.json", metrics)
        return artifact.commit()


class ModelEntityExtractor:
    """Character spans from a trained entity artifact (length-sorted batches, dynamic padding,
    inference_mode, overlapping windows for long texts, results in input order)."""

    def __init__(self, artifact_dir: str | Path, *, device: str | None = None, stride: int = 32) -> None:
        apply_offline_default()
        model_dir = Path(artifact_dir) / "model"
        if not (model_dir / "config.json").is_file():
            raise ArtifactError(f"{artifact_dir} is not an entity artifact (needs model/).")
        run_config = json.loads((Path(artifact_dir) / "config.json").read_text())
        self.device = pick_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        self.model = AutoModelForTokenClassification.from_pretrained(model_dir, local_files_only=True)
        self.model.to(self.device).eval()
        self.max_length = min(int(run_config.get("max_length", 128)),
                              int(getattr(self.model.config, "max_position_embeddings", 512)))
        self.stride = min(stride, self.max_length // 4)

    def extract(self, texts: Sequence[str | None], *, batch_size: int = 32) -> list[list[EntitySpan]]:
        """Spans per text, in input order, sorted by start; empty texts give []."""
        texts = ["" if t is None else str(t) for t in texts]
        found: list[list[EntitySpan]] = [[] for _ in texts]
        order = [i for i in sorted(range(len(texts)), key=lambda i: -len(texts[i])) if texts[i].strip()]
        with torch.inference_mode(), autocast_for(self.device):
            for begin in range(0, len(order), batch_size):
                indices = order[begin : begin + batch_size]
                encoded = self.tokenizer(
                    [texts[i] for i in indices], truncation=True, max_length=self.max_length, stride=self.stride,
                    return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, return_tensors="pt",
                )
                inputs = {k: encoded[k].to(self.device) for k in ("input_ids", "attention_mask", "token_type_ids")
                          if k in encoded}
                probabilities = torch.softmax(self.model(**inputs).logits.float(), dim=-1).cpu()
                best_p, best_id = probabilities.max(dim=-1)
                for w, sample in enumerate(encoded["overflow_to_sample_mapping"].tolist()):
                    text = texts[indices[sample]]
                    ids = [IGNORE_INDEX if sid is None else int(best_id[w, t])
                           for t, sid in enumerate(encoded.sequence_ids(w))]
                    offsets = [tuple(o) for o in encoded["offset_mapping"][w].tolist()]
                    found[indices[sample]].extend(decode_bio(text, offsets, ids, best_p[w].tolist()))
        # windows overlap by ``stride`` tokens, so a mention can be seen twice: keep one
        return [resolve_overlaps(spans) for spans in found]
