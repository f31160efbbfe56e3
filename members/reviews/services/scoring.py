"""Scoring reviews with the active sentiment model, and coalescing new reviews into batch tasks.

score_reviews fills, in bulk: sentiment, sentiment_probabilities, sentiment_confidence,
sentiment_low_confidence, language, embedding, topics (the served topic model: the keyword rules of
ml/topics.py over the Topic table, or a trained model that beat them, topic_models.py), entities
(ml/entities.py, when that module is installed), model_version and scored_at; then publishes one
review.scored webhook per review and bumps the churn risk of authors of new negative
service/delivery reviews. With no active model nothing is scored and the report
says so: labels are never invented.

One encoder pass per review (ml/review_analysis.py): with a fine-tune trained with titles (as the
app trains them) and REVIEW_TOPICS_FROM_SCORER on, the topic labeller's encoder is the scorer
itself, so the scoring pass gives the sentiment, the stored embedding and the sentence embeddings
the topics compare with their prototypes; otherwise (a TF-IDF baseline, or the setting off, its
default until the fine-tune's topic agreement is measured) the labeller encodes the sentences
again with the base encoder. REVIEW_SCORING_PRECISION picks fp32,
int8 or bf16 for that pass (measured in BENCHMARKS.md, "Review scoring throughput").

Language (ml/language.py): each review's script ("zh", "en", "other") is stored on the review.
A fine-tune whose tokenizer turns too much of a review into unknown tokens cannot read it, so that
review's score is flagged low-confidence; and when the base encoder cannot read a batch, its
topics come from keywords alone (the sentence similarities would compare strings of [UNK]).

New reviews arrive unscored (scored_at null). reviews_schedule_scoring() schedules ONE
score_pending_reviews task per debounce window however many reviews arrive in it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from members.models import (
    MlTask,
    ModelVersion,
    ModelVersionKind,
    ModelVersionStatus,
    Product,
    Review,
    Sentiment,
    Topic,
)
from members.partners.models.webhook import WebhookEvent
from members.task_queue import task_send
from ml.data import compose_text
from ml.language import cannot_read, unk_share
from ml.review_analysis import analyse_reviews

logger = logging.getLogger(__name__)

SCORING_DEBOUNCE_KEY = "reviews:scoring-scheduled"
# Topics whose negative reviews move a member's churn risk at once (codes from ml/topics.py).
CHURN_TOPICS = frozenset({"customer_service", "delivery_logistics"})

_lock = threading.Lock()
_scorers: dict[tuple[str, str], Any] = {}  # (artifact path, precision) -> ml.scoring.Scorer, one per worker process
_topic_labellers: dict[str, Any] = {}  # encoder + topic table fingerprint -> WeakTopicLabeller
_entity_extractors: dict[str, Any] = {}  # catalogue fingerprint -> RuleEntityExtractor
_topic_models: dict[str, Any] = {}  # artifact path -> ml.topic_baseline.TopicBaseline


def scorer_for(artifact_path: str):
    """The Scorer for an artifact at REVIEW_SCORING_PRECISION, loaded once per process (loading takes
    seconds; scoring is fast)."""
    key = (artifact_path, settings.REVIEW_SCORING_PRECISION)
    with _lock:
        scorer = _scorers.get(key)
        if scorer is None:
            from ml.scoring import load_scorer  # a fine-tune or a TF-IDF + LR baseline artifact

            scorer = _scorers[key] = load_scorer(artifact_path, precision=settings.REVIEW_SCORING_PRECISION)
        return scorer


def scoring_cache_clear() -> None:
    """Forget loaded models (tests; a worker picks up promotions by artifact path anyway)."""
    with _lock:
        _scorers.clear()
        _topic_labellers.clear()
        _entity_extractors.clear()
        _topic_models.clear()


def active_model_version(*, task: str = MlTask.SENTIMENT) -> ModelVersion | None:
    return ModelVersion.objects.filter(task=task, status=ModelVersionStatus.ACTIVE).first()


def topic_labeller(*, keywords_only: bool = False, scorer=None):
    """A weak topic labeller over the active Topic rows (None when there are none), cached per
    process and rebuilt when staff edit the topics or the base model setting changes.

    ``keywords_only`` skips the sentence-prototype similarity, which encodes every sentence with
    the base transformer (most of the time scoring takes on a CPU): the demo's first pass uses it,
    and its background pass re-scores with the full labeller. ``scorer``: a fine-tune whose
    encoder the labeller uses (prototypes encoded by it, sentences taken from its scoring pass,
    see ml/review_analysis.py) instead of the base encoder."""
    topics = list(Topic.objects.filter(active=True).order_by("code").values("code", "name", "description", "keywords"))
    if not topics:
        return None
    if keywords_only:
        from ml.topics import WeakTopicLabeller

        return WeakTopicLabeller(topics)  # no encoder: keyword matches only, milliseconds per batch
    encoder = ("scorer", str(scorer.artifact_dir), scorer.precision, id(scorer)) if scorer is not None else (
        "base", settings.MEMBERHUB_BASE_MODEL)
    key = hashlib.sha256(repr((encoder, topics)).encode()).hexdigest()
    with _lock:
        labeller = _topic_labellers.get(key)
        if labeller is None:
            from ml.topics import WeakTopicLabeller

            _topic_labellers.clear()
            labeller = _topic_labellers[key] = (
                WeakTopicLabeller(topics, encoder=scorer) if scorer is not None
                else WeakTopicLabeller.with_base_model(topics, base_model=settings.MEMBERHUB_BASE_MODEL or None))
        return labeller


def trained_topic_model(*, version: ModelVersion | None = None):
    """The served trained topic model (ml.topic_baseline.TopicBaseline), loaded once per process;
    None when the keyword rules serve topics (no active topics version, or one of kind
    keyword_rules). ``version``: that version's model instead of the active one's."""
    if version is None:
        version = active_model_version(task=MlTask.TOPICS)
    if version is None or version.kind != ModelVersionKind.BASELINE:
        return None
    with _lock:
        model = _topic_models.get(version.artifact_path)
        if model is None:
            from ml.topic_baseline import load_topic_baseline

            try:
                model = _topic_models[version.artifact_path] = load_topic_baseline(version.artifact_path)
            except (OSError, ValueError, KeyError, EOFError):  # a lost artifact must not stop scoring
                logger.exception("Could not load %s: the keyword rules label topics", version.label)
                return None
        return model


def served_topic_labeller(texts: list[str], *, keywords_only: bool = False, scorer=None):
    """What labels topics now: the trained topic model when one is served and knows every active
    topic (members/reviews/services/topic_models.py), else the keyword rules (_batch_topic_labeller).
    A topic added after the model was trained sends topics back to the rules until it is retrained."""
    model = trained_topic_model()
    if model is not None:
        active = list(Topic.objects.filter(active=True).order_by("code").values_list("code", flat=True))
        if sorted(model.codes) == active:
            return model
        logger.warning("The served topic model knows %s but the active topics are %s: the keyword rules label "
                       "topics until it is retrained", sorted(model.codes), active)
    return _batch_topic_labeller(texts, keywords_only=keywords_only, scorer=scorer)


def entity_extractor():
    """ml/entities.py's rule extractor over the catalogue (brands, product titles, price patterns),
    cached per process until a product is added or changed; None if that module is not installed."""
    try:
        from ml.entities import Catalogue, RuleEntityExtractor
    except ImportError:
        return None
    stamp = Product.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    key = f"{stamp['n']}:{stamp['changed']}"
    with _lock:
        extractor = _entity_extractors.get(key)
    if extractor is None:
        products = Product.objects.values_list("title", "brand")
        titles = {title for title, _ in products.iterator(chunk_size=5_000) if title}
        brands = {brand for _, brand in products.iterator(chunk_size=5_000) if brand}
        extractor = RuleEntityExtractor(Catalogue(brands=sorted(brands), products=sorted(titles)))
        with _lock:
            _entity_extractors.clear()
            _entity_extractors[key] = extractor
    return extractor


@dataclass
class ScoringReport:
    scored: int = 0
    skipped: int = 0  # already scored by the active version
    model_version: str = ""
    reason: str = ""  # why nothing was scored, in words
    review_ids: list[int] = field(default_factory=list)


def score_reviews(*, review_ids: list[int], force: bool = False, keyword_topics: bool = False) -> ScoringReport:
    """Score `review_ids` with the active sentiment version, in batches of REVIEW_SCORING_BATCH_SIZE.

    Idempotent: a review already scored by the active version is skipped unless `force`. Rows are
    locked FOR UPDATE SKIP LOCKED per batch, so two workers never score the same review at once.
    ``keyword_topics``: topics from keywords alone (see topic_labeller), for a fast first pass.
    """
    version = active_model_version()
    if version is None:
        return ScoringReport(reason="No active sentiment model: train one on the Models page first.")
    report = ScoringReport(model_version=version.label)
    ids = sorted(set(review_ids))
    batch_size = settings.REVIEW_SCORING_BATCH_SIZE
    for start in range(0, len(ids), batch_size):
        _score_batch(version=version, review_ids=ids[start : start + batch_size], force=force, report=report,
                     keyword_topics=keyword_topics)
    return report


def _score_batch(*, version: ModelVersion, review_ids: list[int], force: bool, report: ScoringReport,
                 keyword_topics: bool = False) -> None:
    scorer = scorer_for(version.artifact_path)
    extractor = entity_extractor()
    with transaction.atomic():
        rows = Review.objects.select_for_update(skip_locked=True).filter(pk__in=review_ids)
        if not force:
            rows = rows.exclude(model_version=version.label, scored_at__isnull=False)
        reviews = list(rows.only("id", "external_id", "title", "body", "language", "model_version", "scored_at")
                       .order_by("id"))
        report.skipped += len(review_ids) - len(reviews)
        if not reviews:
            return
        bodies, titles = [r.body for r in reviews], [r.title for r in reviews]
        labeller = served_topic_labeller([compose_text(b, t) for b, t in zip(bodies, titles)],
                                         keywords_only=keyword_topics, scorer=scorer)
        analyses = analyse_reviews(scorer, bodies, titles, labeller=labeller, extractor=extractor,
                                   batch_size=settings.REVIEW_SCORING_MODEL_BATCH_SIZE)
        now = timezone.now()
        newly_negative: list[int] = []
        for review, analysis in zip(reviews, analyses, strict=True):
            result, review_topics = analysis.score, analysis.topics
            first_scoring = not review.model_version  # never scored before: a new review
            review.language = analysis.language
            review.sentiment = result.label
            review.sentiment_low_confidence = analysis.low_confidence
            review.sentiment_probabilities = {k: round(v, 6) for k, v in result.probabilities.items()}
            review.sentiment_confidence = round(max(result.probabilities.values()), 6)
            # a baseline version has no encoder: no embedding (member text features skip such reviews)
            review.embedding = None if result.embedding is None else np.asarray(result.embedding, dtype="<f4").tobytes()
            review.topics = review_topics
            review.entities = analysis.entities
            review.model_version = version.label
            review.scored_at = now
            if first_scoring and result.label == Sentiment.NEGATIVE and CHURN_TOPICS.intersection(review_topics):
                newly_negative.append(review.pk)
        _reviews_write_scores(reviews)
        _publish_scored(reviews)
        if newly_negative:
            transaction.on_commit(lambda: _bump_churn(newly_negative), robust=True)
    report.scored += len(reviews)
    report.review_ids.extend(r.pk for r in reviews)


SCORE_FIELDS = ("sentiment", "sentiment_probabilities", "sentiment_confidence", "sentiment_low_confidence", "language",
                "embedding", "topics", "entities", "model_version", "scored_at")


def _batch_topic_labeller(texts: list[str], *, keywords_only: bool, scorer=None):
    """topic_labeller(), keywords-only when asked or when its encoder cannot read these texts
    (its tokenizer's unknown share over the batch, ml.language.cannot_read). It encodes with
    ``scorer`` when the scoring pass can serve the topics too (topics_share_scorer)."""
    if keywords_only:
        return topic_labeller(keywords_only=True)
    labeller = topic_labeller(scorer=scorer) if topics_share_scorer(scorer) else topic_labeller()
    encoder = getattr(labeller, "encoder", None)
    if encoder is not None and cannot_read(unk_share(encoder.tokenizer, texts)):
        return topic_labeller(keywords_only=True)
    return labeller


def topics_share_scorer(scorer) -> bool:
    """Whether topic similarity takes its sentence embeddings from the scoring pass: the setting is
    on and the scorer is a fine-tune that read the title with the body (ml.review_analysis.shares_encoder)."""
    return (settings.REVIEW_TOPICS_FROM_SCORER and scorer is not None and hasattr(scorer, "encode")
            and bool(getattr(scorer, "join_title", False)))


def _reviews_write_scores(reviews: list[Review]) -> None:
    """Write the scoring outputs of a batch in one statement. On Postgres an UPDATE ... FROM
    unnest(arrays): bulk_update's CASE WHEN per row and field cost 14 s per 512 reviews on a busy
    2-core machine (most of the demo's first scoring), this costs well under a second."""
    if connection.vendor != "postgresql":
        Review.objects.bulk_update(reviews, list(SCORE_FIELDS))
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Review._meta.db_table} r SET sentiment = v.sentiment,"
            " sentiment_probabilities = v.probabilities::jsonb, sentiment_confidence = v.confidence,"
            " sentiment_low_confidence = v.low_confidence, language = v.language,"
            " embedding = v.embedding, topics = v.topics::jsonb, entities = v.entities::jsonb,"
            " model_version = v.model_version, scored_at = v.scored_at"
            " FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::float8[], %s::boolean[], %s::text[], %s::bytea[],"
            " %s::text[], %s::text[], %s::text[], %s::timestamptz[])"
            " AS v(id, sentiment, probabilities, confidence, low_confidence, language, embedding, topics, entities,"
            " model_version, scored_at)"
            " WHERE r.id = v.id",
            [
                [r.pk for r in reviews],
                [r.sentiment for r in reviews],
                [json.dumps(r.sentiment_probabilities) for r in reviews],
                [r.sentiment_confidence for r in reviews],
                [r.sentiment_low_confidence for r in reviews],
                [r.language for r in reviews],
                [r.embedding for r in reviews],
                [json.dumps(r.topics) for r in reviews],
                [json.dumps(r.entities) for r in reviews],
                [r.model_version for r in reviews],
                [r.scored_at for r in reviews],
            ],
        )


def _publish_scored(reviews: list[Review]) -> None:
    from members.partners.services.webhooks import webhook_event_publish_many

    webhook_event_publish_many(event=WebhookEvent.REVIEW_SCORED, payloads=[review_scored_payload(review=r)
                                                                           for r in reviews])


def review_scored_payload(*, review: Review) -> dict[str, Any]:
    """The review.scored webhook body's data (documented in docs/webhooks.md)."""
    return {
        "external_id": review.external_id,
        "sentiment": review.sentiment,
        "sentiment_confidence": review.sentiment_confidence,
        "sentiment_probabilities": review.sentiment_probabilities,
        "topics": review.topics,
        "entities": review.entities,
        "model_version": review.model_version,
        "scored_at": review.scored_at.isoformat() if review.scored_at else None,
    }


def _bump_churn(review_ids: list[int]) -> None:
    """Re-score each author's churn risk in its own task, so a churn failure never touches scoring."""
    for review_id in review_ids:
        task_send("members.predictions.churn_bump_for_review", (review_id,))


def unscored_review_ids(*, limit: int) -> list[int]:
    """Up to `limit` reviews waiting to be scored, oldest id first (the partial index review_unscored)."""
    return list(Review.objects.filter(scored_at__isnull=True).order_by("id").values_list("id", flat=True)[:limit])


def unscored_review_count() -> int:
    """Reviews waiting to be scored (one count on the partial index review_unscored)."""
    return Review.objects.filter(scored_at__isnull=True).count()


def score_pending_reviews(*, max_reviews: int | None = None, on_batch: Callable[[int], None] | None = None,
                          keyword_topics: bool = False) -> ScoringReport:
    """Score unscored reviews batch by batch until none are left (or `max_reviews` are done);
    `on_batch(n)` hears how many each batch scored (progress bars); ``keyword_topics`` as in
    score_reviews."""
    total = ScoringReport()
    limit = max_reviews if max_reviews is not None else settings.REVIEW_SCORING_PENDING_LIMIT
    batch_size = settings.REVIEW_SCORING_BATCH_SIZE
    while total.scored < limit:
        ids = unscored_review_ids(limit=min(batch_size, limit - total.scored))
        if not ids:
            break
        report = score_reviews(review_ids=ids, keyword_topics=keyword_topics)
        total.model_version, total.reason = report.model_version, report.reason
        total.scored += report.scored
        total.skipped += report.skipped
        if on_batch and report.scored:
            on_batch(report.scored)
        if report.scored == 0:  # no model, or every row locked by another worker: stop, do not spin
            break
    return total


def reviews_mark_unscored(*, review_ids: list[int]) -> int:
    """Queue reviews for re-scoring (their text changed); the old outputs stay until then."""
    return Review.objects.filter(pk__in=review_ids).update(scored_at=None)


def reviews_schedule_scoring() -> bool:
    """Schedule one score_pending_reviews task REVIEW_SCORING_DEBOUNCE_SECONDS from now, unless one
    is already scheduled in this window (an atomic cache.add). Call after commit, e.g.
    ``transaction.on_commit(reviews_schedule_scoring)``. Returns whether a task was scheduled."""
    delay = settings.REVIEW_SCORING_DEBOUNCE_SECONDS
    if not cache.add(SCORING_DEBOUNCE_KEY, timezone.now().isoformat(), timeout=delay):
        return False
    task_send("members.reviews.score_pending", countdown=delay)
    return True

