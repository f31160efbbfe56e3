"""Scoring texts with a trained artifact, and embedding texts with the bare base encoder.

Both work the same way (as sentence-transformers' ``encode``): texts are sorted by length
(longest first, so an out-of-memory batch shows up at once), tokenised per batch with dynamic
padding and truncation to the model's max length, run in ``eval()`` mode under
``torch.inference_mode()`` (autocast to bf16/fp16 on a GPU), and results come back in the
caller's order.

Any text scores: ``None`` or blank text falls back to the title; when both are empty the model
sees a single space, i.e. only ``[CLS] [SEP]``. Emoji and other scripts go through the WordPiece
tokenizer (unknown pieces become ``[UNK]``); very long texts are truncated.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from ml.base_model import apply_offline_default, resolve_base_model
from ml.device import pick_device, scoring_autocast, scoring_precision
from ml.score_result import EMPTY_TEXT, ArtifactError, ScoreResult, model_input
from ml.sentences import sentence_spans, split_sentences

# EMPTY_TEXT, ArtifactError, ScoreResult, model_input live in ml.score_result; callers import them from here too.
__all__ = ["DEFAULT_BATCH_SIZE", "EMPTY_TEXT", "ArtifactError", "Encoder", "ScoreResult", "Scorer", "load_scorer",
           "mean_pool", "model_input", "sentence_pool", "tokenizable"]

DEFAULT_BATCH_SIZE = 64


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors that are not padding, L2-normalised (all-MiniLM-L6-v2's pooling)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * mask).sum(dim=1)
    pooled = summed / mask.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled.float(), p=2, dim=1)


def sentence_pool(hidden: torch.Tensor, attention_mask: torch.Tensor, offsets: torch.Tensor,
                  spans: Sequence[tuple[int, int]]) -> torch.Tensor:
    """One L2-normalised row per character span of one text: the mean of the token vectors of
    ``hidden`` (seq_len, dim; its last hidden state) whose offsets (seq_len, 2; the fast tokenizer's
    offset mapping) lie inside the span, plus the text's special tokens ([CLS], [SEP]), as if the
    sentence had been encoded on its own (mean_pool counts them too): a one-sentence text gets
    exactly its mean_pool embedding. A span that covers no token of the text (truncated away, or
    blank) gets a row of NaN: the caller encodes that sentence on its own instead."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    attended = attention_mask.bool()
    special = (ends == starts) & attended  # [CLS] and [SEP]; padding is not attended
    bounds = torch.as_tensor(spans, dtype=starts.dtype, device=starts.device).reshape(-1, 2)
    inside = (starts[None, :] >= bounds[:, :1]) & (ends[None, :] <= bounds[:, 1:]) & (ends > starts)[None, :]
    weights = (inside | special[None, :]).to(hidden.dtype)
    pooled = (weights @ hidden).float() / weights.sum(dim=1, keepdim=True).float().clamp(min=1e-9)
    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
    pooled[~inside.any(dim=1)] = float("nan")
    return pooled


def tokenizable(text: object) -> str:
    """`text` as a string the fast tokenizer accepts: any object as str, lone surrogates (which
    cannot be encoded, e.g. from a broken UTF-16 source) replaced by U+FFFD."""
    text = text if isinstance(text, str) else str(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", errors="surrogatepass").decode("utf-8", errors="replace")
    return text


class _BatchRunner:
    """Length-sorted, dynamically padded batching shared by Scorer and Encoder."""

    tokenizer: Any
    model: Any
    device: torch.device
    max_length: int
    precision: str = "fp32"  # in effect, from ml.device.scoring_precision

    def _batches(self, texts: Sequence[str], batch_size: int, offsets: bool = False
                 ) -> Iterator[tuple[list[int], dict[str, torch.Tensor], torch.Tensor | None]]:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            indices = order[start : start + batch_size]
            encoded = self.tokenizer(
                [tokenizable(texts[i]) for i in indices], padding=True, truncation=True,
                max_length=self.max_length, return_tensors="pt", return_offsets_mapping=offsets,
            )
            mapping = encoded.pop("offset_mapping", None)
            yield indices, {key: value.to(self.device) for key, value in encoded.items()}, mapping

    def _run(
        self, texts: Sequence[str], batch_size: int, show_progress: bool,
        step: Callable[[list[int], dict[str, torch.Tensor], torch.Tensor | None], list[Any]], offsets: bool = False,
    ) -> list[Any]:
        """step(indices into texts, encoded batch, offset mapping or None) -> one result per index."""
        results: list[Any] = [None] * len(texts)
        batches = self._batches(texts, batch_size, offsets)
        if show_progress:
            from tqdm.auto import tqdm

            batches = tqdm(batches, total=-(-len(texts) // batch_size), unit="batch", desc="scoring")
        with torch.inference_mode(), scoring_autocast(self.device, self.precision):
            for indices, encoded, mapping in batches:
                for i, result in zip(indices, step(indices, encoded, mapping)):
                    results[i] = result
        return results


class Scorer(_BatchRunner):
    """Loads an artifact directory written by ml.train and scores texts with it.

    One forward pass per text gives the label probabilities, the review embedding and, when asked
    (``score(..., sentences=True)``), one embedding per sentence for the topic labeller: the same
    encoder's token vectors pooled over each sentence's tokens. ``encode`` embeds texts on their own
    with the same encoder (topic prototypes), so a Scorer can be a WeakTopicLabeller's encoder.
    ``precision``: "fp32", "bf16" or "int8" (ml.device.scoring_precision; ``self.precision`` says
    which is in effect).
    """

    def __init__(self, artifact_dir: str | Path, *, device: str | None = None, precision: str = "fp32") -> None:
        apply_offline_default()
        self.artifact_dir = Path(artifact_dir)
        config_path, model_dir = self.artifact_dir / "config.json", self.artifact_dir / "model"
        if not config_path.is_file() or not (model_dir / "config.json").is_file():
            raise ArtifactError(f"{self.artifact_dir} is not a trained artifact (needs config.json and model/).")
        self.run_config = json.loads(config_path.read_text(encoding="utf-8"))
        self.device = pick_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(model_dir, local_files_only=True)
        self.model.to(self.device).eval()
        self.model, self.precision = scoring_precision(self.model, self.device, precision)
        self.labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        self.max_length = min(
            int(self.run_config.get("max_length", self.tokenizer.model_max_length)),
            int(getattr(self.model.config, "max_position_embeddings", 512)),
        )
        self.join_title = bool(self.run_config.get("title_joined", False))
        from ml.stacking import load_stacked_head

        self.stack = load_stacked_head(self.artifact_dir)  # None unless the stacked head won in training

    def score(
        self, texts: Sequence[str | None], titles: Sequence[str | None] | None = None, *,
        batch_size: int = DEFAULT_BATCH_SIZE, show_progress: bool = False, sentences: bool = False,
    ) -> list[ScoreResult]:
        """One ScoreResult per text, in input order.

        ``titles`` (same length as ``texts``) are joined to the text when the model was trained
        with titles, and otherwise used only when the text is empty. ``sentences``: also fill
        ``sentence_embeddings``, one row per ml.topics.split_sentences sentence of the scored text
        (``model_input(text, title)``), from the same pass; a sentence the pass truncated away is
        encoded on its own.
        """
        if titles is not None and len(titles) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(titles)} titles")
        inputs = [
            model_input(text, None if titles is None else titles[i], join_title=self.join_title)
            for i, text in enumerate(texts)
        ]
        if sentences:
            spans = [sentence_spans(text) for text in inputs]
            results = self._run(inputs, batch_size, show_progress,
                                lambda indices, encoded, mapping: self._score_batch(encoded, mapping, [spans[i] for i in indices]),
                                offsets=True)
            self._encode_uncovered(results, [split_sentences(text) for text in inputs], batch_size)
        else:
            results = self._run(inputs, batch_size, show_progress, lambda _, encoded, __: self._score_batch(encoded))
        if self.stack is None or not results:
            return results
        # The stacked head replaces the fine-tuned head's probabilities; the embeddings stay.
        probabilities = self.stack.predict_proba(inputs, np.stack([r.embedding for r in results]))
        return [
            dataclasses.replace(r, label=self.labels[int(np.argmax(row))],
                                probabilities={label: float(p) for label, p in zip(self.labels, row)})
            for r, row in zip(results, probabilities)
        ]

    def encode(self, texts: Sequence[str | None], *, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """Mean-pooled, L2-normalised embeddings of texts each on its own, from this model's encoder
        (as ml.scoring.Encoder does for the bare base model); float32 (len(texts), hidden size)."""
        inputs = [model_input(text) for text in texts]
        rows = self._run(inputs, batch_size, False, lambda _, encoded, __: list(
            mean_pool(self.model.base_model(**encoded).last_hidden_state, encoded["attention_mask"]).cpu().numpy()))
        return np.stack(rows) if rows else np.zeros((0, self.model.config.hidden_size), dtype=np.float32)

    def _score_batch(self, encoded: dict[str, torch.Tensor], mapping: torch.Tensor | None = None,
                     spans: list[list[tuple[int, int]]] | None = None) -> list[ScoreResult]:
        output = self.model(**encoded, output_hidden_states=True)
        probabilities = torch.softmax(output.logits.float(), dim=-1).cpu().numpy()
        hidden = output.hidden_states[-1]
        embeddings = mean_pool(hidden, encoded["attention_mask"]).cpu().numpy()
        per_sentence: list[np.ndarray | None] = [None] * len(embeddings)
        if spans is not None and mapping is not None:
            per_sentence = [sentence_pool(hidden[row], encoded["attention_mask"][row], mapping[row].to(hidden.device),
                                          spans[row]).cpu().numpy()
                            for row in range(len(spans))]
        return [
            ScoreResult(
                label=self.labels[int(np.argmax(row))],
                probabilities={label: float(p) for label, p in zip(self.labels, row)},
                embedding=embedding, sentence_embeddings=sentence_rows,
            )
            for row, embedding, sentence_rows in zip(probabilities, embeddings, per_sentence)
        ]

    def _encode_uncovered(self, results: list[ScoreResult], sentences: list[list[str]], batch_size: int) -> None:
        """Encode on its own each sentence that no token of the pass covered (NaN rows of
        sentence_pool: cut off by max_length, or a blank text), in place. Rare: the second pass
        that topics needed for every sentence is left only for these."""
        missing = [(i, j) for i, r in enumerate(results) for j in np.flatnonzero(np.isnan(r.sentence_embeddings[:, 0]))]
        if not missing:
            return
        rows = self.encode([sentences[i][j] for i, j in missing], batch_size=batch_size)
        for (i, j), row in zip(missing, rows):
            results[i].sentence_embeddings[j] = row


class Encoder(_BatchRunner):
    """Sentence embeddings from the base encoder alone (no task head), for segments and recommendations.

    With the default packaged all-MiniLM-L6-v2 these match sentence-transformers' embeddings.
    """

    def __init__(self, base_model: str | None = None, *, device: str | None = None, max_length: int = 256) -> None:
        resolved = resolve_base_model(base_model)
        self.base_model = resolved
        self.device = pick_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(resolved.location, local_files_only=resolved.local_files_only)
        self.model = AutoModel.from_pretrained(resolved.location, local_files_only=resolved.local_files_only)
        self.model.to(self.device).eval()
        self.max_length = min(max_length, int(getattr(self.model.config, "max_position_embeddings", 512)))

    @property
    def dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(
        self, texts: Sequence[str | None], *, batch_size: int = DEFAULT_BATCH_SIZE, show_progress: bool = False
    ) -> np.ndarray:
        """A float32 array of shape (len(texts), dimension), rows L2-normalised, in input order."""
        inputs = [model_input(text) for text in texts]
        rows = self._run(inputs, batch_size, show_progress, self._encode_batch)
        return np.stack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)

    def _encode_batch(self, _indices: list[int], encoded: dict[str, torch.Tensor], _mapping: Any) -> list[np.ndarray]:
        hidden = self.model(**encoded).last_hidden_state
        return list(mean_pool(hidden, encoded["attention_mask"]).cpu().numpy())


def load_scorer(artifact_dir: str | Path, *, device: str | None = None, precision: str = "fp32"):
    """The scorer for any review artifact: a fine-tune (Scorer) or a TF-IDF + LR baseline
    (ml.baseline.BaselineScorer, whose config.json says ``"kind": "tfidf_logreg"``). A training run
    whose language check skipped the fine-tune (``"fine_tuned": false``, no ``model/``) is scored
    by the baseline it serves. All have ``labels``, ``run_config`` and
    ``score(texts, titles, batch_size=..., show_progress=...)``; ``precision`` is a fine-tune's
    (a baseline has no network to quantise)."""
    config_path = Path(artifact_dir) / "config.json"
    if config_path.is_file():
        run_config = json.loads(config_path.read_text(encoding="utf-8"))
        from ml.baseline import BASELINE_KIND, BaselineScorer

        if run_config.get("kind") == BASELINE_KIND:
            return BaselineScorer(artifact_dir)
        if run_config.get("fine_tuned") is False:
            return BaselineScorer(Path(artifact_dir) / "baseline")
    return Scorer(artifact_dir, device=device, precision=precision)
