"""The cross-encoder reranker experiment: (member profile text, item text) -> bought next or not.

Trained with binary cross-entropy on the retriever's own candidates (positives: items of the
member's next order; negatives: the other candidates), then applied to the top candidates only.
Kept in the pipeline only when it raises NDCG@10 on the time split (bench/recs_bench.py decides
and records the comparison either way).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from ml.base_model import resolve_base_model
from ml.device import pick_device


@dataclass
class CrossEncoderConfig:
    base_model: str | None = None  # see ml.base_model
    batch_size: int = 16  # pairs per step
    learning_rate: float = 3e-5
    max_length: int = 160  # profile + item tokens together
    epochs: float = 1.0
    max_seconds: float = 0.0  # stop early after this long (0 = no limit)
    seed: int = 42
    device: str | None = None


class CrossEncoder:
    """A single-logit sequence classifier over (profile, item) text pairs."""

    def __init__(self, config: CrossEncoderConfig) -> None:
        resolved = resolve_base_model(config.base_model)
        self.config = config
        self.device = pick_device(config.device)
        self.tokenizer = AutoTokenizer.from_pretrained(resolved.location, local_files_only=resolved.local_files_only)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            resolved.location, num_labels=1, local_files_only=resolved.local_files_only
        ).to(self.device)

    def _logits(self, profiles: Sequence[str], items: Sequence[str]) -> torch.Tensor:
        batch = self.tokenizer(list(profiles), list(items), padding=True, truncation=True,
                               max_length=self.config.max_length, return_tensors="pt").to(self.device)
        return self.model(**batch).logits.squeeze(-1)

    def fit(self, examples: Sequence[tuple[str, str, int]]) -> dict[str, float]:
        """Train on (profile, item, 1/0) examples; returns {"steps", "first_loss", "last_loss"}."""
        random.seed(self.config.seed)
        torch.manual_seed(self.config.seed)
        order = list(range(len(examples)))
        total = max(1, round(len(order) / self.config.batch_size * self.config.epochs))
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.config.learning_rate)
        positives = sum(e[2] for e in examples)
        # Negatives outnumber positives ~10:1 among candidates; weight positives back up.
        pos_weight = torch.tensor((len(examples) - positives) / max(positives, 1), device=self.device)
        self.model.train()
        losses: list[float] = []
        started = time.monotonic()
        while len(losses) < total:
            random.shuffle(order)
            for start in range(0, len(order), self.config.batch_size):
                if len(losses) >= total or (self.config.max_seconds and time.monotonic() - started > self.config.max_seconds):
                    total = len(losses) or 1
                    break
                chunk = [examples[i] for i in order[start : start + self.config.batch_size]]
                logits = self._logits([c[0] for c in chunk], [c[1] for c in chunk])
                labels = torch.tensor([float(c[2]) for c in chunk], device=self.device)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, pos_weight=pos_weight)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            if not losses:
                break
        self.model.eval()
        return {"steps": len(losses), "first_loss": losses[0] if losses else float("nan"),
                "last_loss": float(np.mean(losses[-10:])) if losses else float("nan")}

    def score(self, profiles: Sequence[str], items: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Logits for each (profile, item) pair, in input order."""
        out = []
        with torch.inference_mode():
            for start in range(0, len(profiles), batch_size):
                out.append(self._logits(profiles[start : start + batch_size], items[start : start + batch_size]).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def cross_rerank(
    encoder: CrossEncoder, profile: str, candidates: Sequence[str], item_texts: Sequence[str], *, top_n: int
) -> list[str]:
    """Reorder the first ``top_n`` candidate keys by cross-encoder score; the rest keep their order."""
    head = list(candidates[:top_n])
    if not head:
        return list(candidates)
    scores = encoder.score([profile] * len(head), list(item_texts[:top_n]))
    reordered = [head[i] for i in np.argsort(-scores, kind="stable")]
    return reordered + list(candidates[top_n:])
