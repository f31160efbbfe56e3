"""Everything review scoring computes for a batch of reviews, without a database: sentiment, the
stored embedding, weak topics, entities, language and the low-confidence flag.

One encoder pass per review serves every head when the topic labeller's encoder is the scorer
itself (``WeakTopicLabeller(topics, encoder=scorer)``): the scorer's pass returns the label
probabilities, the review embedding and one embedding per sentence (``Scorer.score(...,
sentences=True)``), and the labeller compares those sentence embeddings with its prototypes
instead of encoding the sentences again. With any other labeller (the base encoder, or keywords
only) topics are labelled as before. Entities come from rules (ml.entities) and need no encoder.

members.reviews.services.scoring writes these results; bench/score_bench.py times this function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ml.data import compose_text
from ml.language import cannot_read, detect_language, unk_shares
from ml.score_result import ScoreResult, model_input


@dataclass(frozen=True)
class ReviewAnalysis:
    score: ScoreResult  # label, probabilities, embedding (None for a baseline)
    topics: list[str]  # assigned topic codes, best first
    entities: list[dict[str, Any]]  # EntitySpan.to_dict() per mention in the body
    language: str  # ml.language.detect_language of title + body
    low_confidence: bool  # the scorer's tokenizer cannot read what it scored (always False for a baseline)


def shares_encoder(scorer: Any, labeller: Any) -> bool:
    """Whether the labeller's sentence embeddings can come from the scorer's own pass: the labeller
    encodes with the scorer, and the scorer reads title + body as the topics do (a fine-tune trained
    with titles, as the app trains them; one trained on bodies alone never saw the title, so its
    labeller encodes the sentences itself)."""
    return (labeller is not None and getattr(labeller, "encoder", None) is scorer and hasattr(scorer, "encode")
            and bool(getattr(scorer, "join_title", False)))


def analyse_reviews(scorer: Any, bodies: Sequence[str | None], titles: Sequence[str | None], *,
                    labeller: Any = None, extractor: Any = None, batch_size: int = 64) -> list[ReviewAnalysis]:
    """One ReviewAnalysis per review, in input order. ``scorer``: ml.scoring.load_scorer's (a
    fine-tune or a baseline); ``labeller``: an ml.topics.WeakTopicLabeller or None (no topics);
    ``extractor``: an ml.entities.RuleEntityExtractor or None (no entities)."""
    if len(bodies) != len(titles):
        raise ValueError(f"got {len(bodies)} bodies but {len(titles)} titles")
    texts = [compose_text(body, title) for body, title in zip(bodies, titles)]
    shared = shares_encoder(scorer, labeller)
    if shared:
        results = scorer.score(bodies, titles, batch_size=batch_size, sentences=True)
        weak = labeller.label(texts, sentence_embeddings=[r.sentence_embeddings for r in results])
    else:
        results = scorer.score(bodies, titles, batch_size=batch_size)
        weak = labeller.label(texts) if labeller is not None else None
    topics = [w.topics for w in weak] if weak is not None else [[] for _ in texts]
    entities = ([[span.to_dict() for span in found] for found in extractor.extract([b or "" for b in bodies])]
                if extractor is not None else [[] for _ in texts])
    unreadable = _unreadable(scorer, bodies, titles)
    return [
        ReviewAnalysis(score=result, topics=review_topics, entities=review_entities,
                       language=detect_language(text), low_confidence=flag)
        for result, review_topics, review_entities, text, flag in zip(
            results, topics, entities, texts, unreadable, strict=True)
    ]


def _unreadable(scorer: Any, bodies: Sequence[str | None], titles: Sequence[str | None]) -> list[bool]:
    """Per review: does the served model's tokenizer turn too much of what it scored into unknown
    tokens? Always False for a baseline (character or word n-grams read any script)."""
    tokenizer = getattr(scorer, "tokenizer", None)
    if tokenizer is None:
        return [False] * len(bodies)
    join_title = bool(getattr(scorer, "join_title", False))
    inputs = [model_input(body, title, join_title=join_title) for body, title in zip(bodies, titles)]
    return [cannot_read(share) for share in unk_shares(tokenizer, inputs)]
