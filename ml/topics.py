"""Review topics (multi-label): the topic list and the weak labeller.

A topic is ``(code, name, description, keywords)``. The Django side keeps them in its Topic table
(staff can add topics) and passes them in; :data:`DEFAULT_TOPICS` is the starting set.

The weak labeller needs no trained model and combines two signals per (review, topic):

* keywords: case-insensitive regular expressions on word boundaries with light stemming, so
  ``"fit"`` also matches ``"Fits"``/``"fitting"`` and ``"delivery"`` matches ``"deliveries"``;
  multi-word keywords allow any whitespace or hyphen between their words. Chinese keywords
  (``"送餐"``, ``"分量"``) match anywhere inside running text: Chinese puts no spaces between words,
  so a word boundary would almost never be there, and it has no inflection to stem. A Chinese
  character next to an English keyword counts as a boundary ("这件size偏小" matches ``"size"``).
* prototype similarity: the review is cut into sentences, each sentence and each topic prototype
  (its description, and ``"<name>: <keyword>"`` per keyword) are embedded with the base encoder
  (mean-pooled, L2-normalised), and the topic's similarity is the best sentence-prototype cosine.
  Sentences, not whole reviews, because a long review that mentions shipping once in passing
  would otherwise be diluted below any useful threshold.

A topic is assigned when a keyword matches *or* the similarity reaches the topic's threshold.
The score in [0, 1] is ``max(keyword_score, similarity rescaled so the threshold maps to 0.5)``
(see :func:`combine_score`); without an encoder the labeller runs on keywords alone.
Fine-tuning a multi-label head on these (or human-confirmed) labels lives in ml.topic_train.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ml.language import HAN_CLASS, has_han, is_han
from ml.sentences import MAX_SENTENCES, sentence_spans, split_sentences  # noqa: F401  (re-exported)

# Cosine between a review sentence and a topic prototype with all-MiniLM-L6-v2, above which the
# topic counts as present without a keyword. Chosen on the packaged model (see docs/ml-topics.md);
# a different base model needs its own value (TopicSpec.similarity_threshold).
DEFAULT_SIMILARITY_THRESHOLD = 0.55
KEYWORD_SCORE = 0.9  # a keyword hit is strong but not certain evidence ("fits" in "fits of laughter")
_WORD = re.compile(r"[\w']+")
# Word boundaries for English keywords: no letter, digit or apostrophe on either side -- except a
# Chinese character, which is a boundary in mixed text ("这件size偏小").
_LATIN_START = rf"(?<![^\W{HAN_CLASS}])(?<!')"
_LATIN_END = rf"(?![^\W{HAN_CLASS}])(?!')"


@dataclass(frozen=True)
class TopicSpec:
    """One topic. ``similarity_threshold`` None uses DEFAULT_SIMILARITY_THRESHOLD."""

    code: str
    name: str
    description: str
    keywords: tuple[str, ...] = ()
    similarity_threshold: float | None = None

    @classmethod
    def from_value(cls, value: Any) -> TopicSpec:
        """Accepts a TopicSpec, a ``(code, name, description, keywords)`` tuple, or a mapping."""
        if isinstance(value, TopicSpec):
            return value
        if isinstance(value, Mapping):
            return cls(
                code=str(value["code"]), name=str(value.get("name") or value["code"]),
                description=str(value.get("description") or ""), keywords=tuple(value.get("keywords") or ()),
                similarity_threshold=value.get("similarity_threshold"),
            )
        code, name, description, keywords, *rest = value
        return cls(str(code), str(name), str(description), tuple(keywords), rest[0] if rest else None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "name": self.name, "description": self.description,
            "keywords": list(self.keywords), "similarity_threshold": self.similarity_threshold,
        }

    def prototypes(self) -> list[str]:
        """Texts whose embeddings stand for this topic."""
        texts = [f"{self.name}: {self.description}".strip(": ")]
        texts.extend(f"{self.name}: {keyword}" for keyword in self.keywords)
        return texts


DEFAULT_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "product_quality", "Product quality",
        "The material, fabric, stitching, durability or workmanship of the product; whether it is well made or falls apart.",
        ("quality", "material", "fabric", "well made", "poorly made", "cheaply made", "stitching", "seam",
         "durable", "flimsy", "sturdy", "fell apart", "ripped", "tear", "pilling", "pilled", "see through",
         "sheer", "defect", "defective", "craftsmanship", "shrank", "faded", "cheap", "cheaply"),
    ),
    TopicSpec(
        "size_fit", "Size and fit",
        "How the product fits the body: too small, too large, runs big or small, length, true to size, which size to order.",
        ("fit", "size", "sizing", "too small", "too big", "too large", "too tight", "too loose", "runs small",
         "runs large", "runs big", "true to size", "petite", "length", "tight", "loose", "baggy", "snug",
         "roomy", "oversized", "size up", "size down", "xs", "waist", "inseam"),
    ),
    TopicSpec(
        "delivery_logistics", "Delivery and logistics",
        "Shipping and delivery of the order: how fast it arrived, delays, tracking, the courier, lost or late parcels.",
        ("delivery", "deliver", "shipping", "shipped", "ship", "arrived late", "arrived quickly", "arrived on time",
         "arrived damaged", "late delivery", "delayed", "delay", "postage",
         "courier", "tracking", "parcel", "dispatch", "on time", "took weeks", "never arrived", "backordered",
         "back order"),
    ),
    TopicSpec(
        "price_value", "Price and value",
        "The price of the product and whether it is worth the money: expensive, cheap, on sale, good value for money.",
        ("price", "priced", "pricey", "expensive", "overpriced", "value", "worth", "money", "cost", "on sale",
         "sale price",
         "discount", "bargain", "affordable", "full price", "dollars", "markdown"),
    ),
    TopicSpec(
        "customer_service", "Customer service",
        "Dealing with the shop's staff or support: help from customer service, returns, refunds, exchanges, complaints.",
        ("customer service", "customer support", "staff", "sales associate", "sales lady", "saleswoman",
         "representative", "refund", "exchange", "return policy", "return process", "free returns",
         "store manager", "rude"),
    ),
    TopicSpec(
        "packaging", "Packaging",
        "How the product was packed: the box, bag, wrapping, packaging damage, tags, how it looked on arrival.",
        ("packaging", "package", "packed", "box", "wrapped", "wrapping", "envelope", "crushed",
         "tissue paper"),
        # "wrap" is also a garment: similarity to the wrapping prototypes needs more support here
        similarity_threshold=0.62,
    ),
)


def topics_from(values: Iterable[Any] | None) -> tuple[TopicSpec, ...]:
    """Normalise a caller's topic list (None -> DEFAULT_TOPICS); codes must be unique."""
    topics = DEFAULT_TOPICS if values is None else tuple(TopicSpec.from_value(v) for v in values)
    codes = [t.code for t in topics]
    if not topics:
        raise ValueError("at least one topic is needed")
    if len(set(codes)) != len(codes):
        raise ValueError(f"topic codes must be unique, got {codes}")
    return topics


def _word_pattern(word: str) -> str:
    """One keyword word with light stemming: plural/verb suffixes, y->ies, a doubled final consonant.

    ``size`` -> size/sizes/sized/sizing; ``fit`` -> fit/fits/fitted/fitting; ``delivery`` ->
    delivery/deliveries. No comparatives ("-er"): "late" must not match "later".
    """
    word = word.lower()
    if len(word) <= 2 or not word.isalpha():
        return re.escape(word)
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        word = word[:-2]  # boxes -> box, dresses -> dress
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    if word.endswith("y") and word[-2] not in "aeiou":
        return re.escape(word[:-1]) + r"(?:y|ies|ied)"
    if word.endswith("e") and not word.endswith("ee"):
        return re.escape(word[:-1]) + r"(?:e|es|ed|ing)"
    double = re.escape(word[-1]) + "?" if word[-1] not in "aeiouwxy" else ""
    return re.escape(word) + rf"(?:e?s|{double}(?:ed|ing))?"


def _chinese_keyword_pattern(keyword: str) -> str:
    """A keyword holding Chinese characters, literally (any whitespace between its parts), with a
    word boundary only at an end that is not a Chinese character ("T恤" must not match "AT恤")."""
    body = r"\s*".join(re.escape(part) for part in keyword.split())
    start = "" if is_han(keyword.strip()[0]) else _LATIN_START
    end = "" if is_han(keyword.strip()[-1]) else _LATIN_END
    return start + body + end


def keyword_regex(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """A case-insensitive alternation of ``keywords`` (longest first), or None. English keywords
    need word boundaries; Chinese ones match inside running text (see the module docstring)."""
    alternatives = []  # (length of the keyword's own pattern, pattern with its boundaries)
    for keyword in keywords:
        if has_han(keyword):
            body = _chinese_keyword_pattern(keyword)
            alternatives.append((len(body), body))
            continue
        words = _WORD.findall(keyword)
        if words:
            body = r"[\s\-]+".join(_word_pattern(w) for w in words)
            alternatives.append((len(body), _LATIN_START + "(?:" + body + ")" + _LATIN_END))
    if not alternatives:
        return None
    alternatives.sort(key=lambda a: a[0], reverse=True)
    return re.compile("|".join(pattern for _, pattern in alternatives), re.IGNORECASE)


def keyword_hits(text: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int, str]]:
    """``(start, end, matched text)`` for every keyword match in ``text``."""
    if pattern is None or not text:
        return []
    return [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]


def combine_score(keyword_hit: bool, similarity: float | None, threshold: float) -> float:
    """Weak score in [0, 1]: KEYWORD_SCORE for a keyword hit; similarity maps linearly so that
    ``threshold`` -> 0.5 and 1.0 -> 1.0 (0 and below -> 0). The topic is assigned at score >= 0.5."""
    keyword_part = KEYWORD_SCORE if keyword_hit else 0.0
    if similarity is None:
        return keyword_part
    if similarity >= threshold:
        sim_part = 0.5 + 0.5 * (similarity - threshold) / max(1.0 - threshold, 1e-6)
    else:
        sim_part = 0.5 * max(similarity, 0.0) / max(threshold, 1e-6)
    return float(min(1.0, max(keyword_part, sim_part)))


class SentenceEncoder(Protocol):
    def encode(self, texts: Sequence[str | None], *, batch_size: int = ...) -> np.ndarray: ...


@dataclass(frozen=True)
class TopicEvidence:
    code: str
    score: float  # combine_score(...), in [0, 1]
    assigned: bool  # score >= 0.5: keyword hit or similarity >= threshold
    keywords: tuple[str, ...]  # matched keyword strings as they appear in the text
    similarity: float | None  # best sentence-prototype cosine; None without an encoder


@dataclass(frozen=True)
class WeakTopics:
    topics: list[str]  # assigned topic codes, best score first
    evidence: dict[str, TopicEvidence] = field(default_factory=dict)  # every topic, by code

    def scores(self) -> dict[str, float]:
        return {code: e.score for code, e in self.evidence.items()}


class WeakTopicLabeller:
    """Keyword + prototype-similarity topic labels for texts, without any fine-tuned model.

    ``encoder`` is anything with ``encode(texts) -> L2-normalised float array`` (ml.scoring.Encoder);
    None means keywords only. Use :meth:`with_base_model` to build one on the base encoder.
    """

    def __init__(self, topics: Iterable[Any] | None = None, *, encoder: SentenceEncoder | None = None,
                 batch_size: int = 64) -> None:
        self.topics = topics_from(topics)
        self.encoder = encoder
        self.batch_size = batch_size
        self.patterns = {t.code: keyword_regex(t.keywords) for t in self.topics}
        self.thresholds = {
            t.code: DEFAULT_SIMILARITY_THRESHOLD if t.similarity_threshold is None else float(t.similarity_threshold)
            for t in self.topics
        }
        self._prototype_owner: list[int] = []
        self._prototypes: np.ndarray | None = None
        if encoder is not None:
            texts = []
            for i, topic in enumerate(self.topics):
                for prototype in topic.prototypes():
                    texts.append(prototype)
                    self._prototype_owner.append(i)
            self._prototypes = encoder.encode(texts, batch_size=batch_size)

    @classmethod
    def with_base_model(cls, topics: Iterable[Any] | None = None, *, base_model: str | None = None,
                        device: str | None = None) -> WeakTopicLabeller:
        """A labeller using ml.scoring.Encoder on ``base_model`` (None = the packaged MiniLM)."""
        from ml.scoring import Encoder

        return cls(topics, encoder=Encoder(base_model, device=device))

    def similarities(self, texts: Sequence[str | None]) -> np.ndarray:
        """(len(texts), len(topics)) best sentence-prototype cosine per text and topic."""
        if self.encoder is None or self._prototypes is None:
            raise RuntimeError("similarities need an encoder")
        sentence_owner: list[int] = []
        sentences: list[str] = []
        for i, text in enumerate(texts):
            for sentence in split_sentences("" if text is None else str(text)):
                sentences.append(sentence)
                sentence_owner.append(i)
        if not sentences:
            return np.full((len(texts), len(self.topics)), -1.0, dtype=np.float32)
        return self._best_cosines(self.encoder.encode(sentences, batch_size=self.batch_size), sentence_owner,
                                  len(texts))

    def similarities_from(self, sentence_embeddings: Sequence[np.ndarray]) -> np.ndarray:
        """similarities() from sentence embeddings computed elsewhere by this labeller's encoder --
        one (sentences, dim) array per text, e.g. ScoreResult.sentence_embeddings from the scoring
        pass (ml.scoring.Scorer.score(..., sentences=True)) -- so no text is encoded again."""
        if self._prototypes is None:
            raise RuntimeError("similarities need an encoder")
        owner = [i for i, rows in enumerate(sentence_embeddings) for _ in range(len(rows))]
        if not owner:
            return np.full((len(sentence_embeddings), len(self.topics)), -1.0, dtype=np.float32)
        stacked = np.concatenate([rows for rows in sentence_embeddings if len(rows)])
        return self._best_cosines(stacked, owner, len(sentence_embeddings))

    def _best_cosines(self, sentence_rows: np.ndarray, sentence_owner: list[int], n_texts: int) -> np.ndarray:
        owners = np.asarray(self._prototype_owner)
        result = np.full((n_texts, len(self.topics)), -1.0, dtype=np.float32)
        cosine = sentence_rows @ self._prototypes.T
        per_topic = np.stack([cosine[:, owners == j].max(axis=1) for j in range(len(self.topics))], axis=1)
        np.maximum.at(result, np.asarray(sentence_owner), per_topic)
        return result

    def label(self, texts: Sequence[str | None], *,
              sentence_embeddings: Sequence[np.ndarray] | None = None) -> list[WeakTopics]:
        """One WeakTopics per text, in input order. Empty, emoji-only or very long texts are fine.

        ``sentence_embeddings``: per text, its split_sentences embeddings from this labeller's
        encoder computed elsewhere (see similarities_from); then nothing is encoded here."""
        texts = ["" if t is None else str(t) for t in texts]
        if sentence_embeddings is not None:
            if len(sentence_embeddings) != len(texts):
                raise ValueError(f"got {len(texts)} texts but {len(sentence_embeddings)} sentence embedding sets")
            similarity = self.similarities_from(sentence_embeddings)
        else:
            similarity = self.similarities(texts) if self.encoder is not None else None
        results = []
        for i, text in enumerate(texts):
            evidence = {}
            for j, topic in enumerate(self.topics):
                hits = tuple(hit for _, _, hit in keyword_hits(text, self.patterns[topic.code]))
                sim = None if similarity is None else float(similarity[i, j])
                score = combine_score(bool(hits), sim, self.thresholds[topic.code])
                evidence[topic.code] = TopicEvidence(topic.code, score, score >= 0.5, hits, sim)
            assigned = sorted((e for e in evidence.values() if e.assigned), key=lambda e: -e.score)
            results.append(WeakTopics([e.code for e in assigned], evidence))
        return results
