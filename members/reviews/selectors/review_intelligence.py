"""Reads for review intelligence: the Models page, the reviews insights and the nightly checks.

Every function is a fixed number of queries (named in its docstring), whatever the data size.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import TruncWeek
from django.utils import timezone

from members.models import (
    ModelVersion,
    ModelVersionStatus,
    Review,
    ReviewTopicLabel,
    Sentiment,
    Topic,
    TrainingRun,
)

RUNS_SHOWN = 20
VERSIONS_SHOWN = 20
SENTIMENT_WEEKS = 12
TOPIC_WINDOW_DAYS = 90
ATTENTION_SHOWN = 10


@dataclass(frozen=True)
class ClassAgreement:
    label: str
    labelled: int  # reviews a person labelled with this class
    agreed: int  # ... that the model had also put in this class

    @property
    def rate(self) -> float | None:
        return self.agreed / self.labelled if self.labelled else None


def training_runs_recent(*, limit: int = RUNS_SHOWN) -> list[TrainingRun]:
    """Newest runs with their creator: one query."""
    return list(TrainingRun.objects.select_related("created_by").order_by("-created_at", "-id")[:limit])


def model_versions_recent(*, task: str, limit: int = VERSIONS_SHOWN) -> list[ModelVersion]:
    """Newest versions of a task (active first is up to the template): one query."""
    return list(ModelVersion.objects.filter(task=task).order_by("-version")[:limit])


def sentiment_agreement_by_class() -> list[ClassAgreement]:
    """Per human label, how many people-labelled scored reviews the model got the same: one query."""
    rows = (
        Review.objects.exclude(sentiment_label_human="").exclude(sentiment="")
        .values("sentiment_label_human")
        .annotate(labelled=Count("id"), agreed=Count("id", filter=Q(sentiment=F("sentiment_label_human"))))
    )
    found = {row["sentiment_label_human"]: row for row in rows}
    return [
        ClassAgreement(label, found.get(label, {}).get("labelled", 0), found.get(label, {}).get("agreed", 0))
        for label in Sentiment.values
    ]


def topic_agreement_by_topic() -> list[ClassAgreement]:
    """Per topic, how often the model's topic list matched a person's verdict: one query.

    Topic labels are people's work, so they number in the hundreds; the comparison with the
    review's JSON topic list runs here, portable to SQLite.
    """
    counts: dict[str, list[int]] = {}
    for name, code, present, topics in ReviewTopicLabel.objects.values_list(
        "topic__name", "topic__code", "present", "review__topics"
    ):
        entry = counts.setdefault(name, [0, 0])
        entry[0] += 1
        entry[1] += (code in (topics or [])) == present
    return [ClassAgreement(name, labelled, agreed) for name, (labelled, agreed) in sorted(counts.items())]


def rating_sentiment_case() -> Case:
    """The weak label of a review's stars (ml/labels.py: 1-2 negative, 3 neutral, 4-5 positive)."""
    return Case(
        When(rating__lte=2, then=Value(Sentiment.NEGATIVE)),
        When(rating=3, then=Value(Sentiment.NEUTRAL)),
        default=Value(Sentiment.POSITIVE),
        output_field=CharField(),
    )


def rating_agreement(*, since: datetime) -> tuple[int, int]:
    """(scored reviews created since `since`, how many of them the model gave their stars' sentiment): one query."""
    row = (
        Review.objects.filter(created_at__gte=since).exclude(sentiment="")
        .annotate(weak=rating_sentiment_case())
        .aggregate(total=Count("id"), agreed=Count("id", filter=Q(sentiment=F("weak"))))
    )
    return row["total"], row["agreed"]


def human_labels_since(*, since: datetime | None) -> int:
    """Sentiment and topic corrections made after `since` (all when None): two queries."""
    reviews = Review.objects.exclude(sentiment_label_human="")
    topics = ReviewTopicLabel.objects.all()
    if since is not None:
        reviews, topics = reviews.filter(labelled_at__gt=since), topics.filter(labelled_at__gt=since)
    return reviews.count() + topics.count()


def sentiment_weekly(*, weeks: int = SENTIMENT_WEEKS) -> list[dict]:
    """[{"week": date, "negative": n, "neutral": n, "positive": n}] for scored reviews, oldest first: one query."""
    since = timezone.now() - timedelta(weeks=weeks)
    rows = (
        Review.objects.filter(created_at__gte=since).exclude(sentiment="")
        .annotate(week=TruncWeek("created_at")).values("week")
        .annotate(**{label: Count("id", filter=Q(sentiment=label)) for label in Sentiment.values})
        .order_by("week")
    )
    return [{**row, "week": row["week"].date() if hasattr(row["week"], "date") else row["week"]} for row in rows]


def topic_breakdown_by_category(*, days: int = TOPIC_WINDOW_DAYS) -> tuple[list[Topic], list[dict]]:
    """Active topics, and per product category the number of recent scored reviews on each topic
    (plus the total and the negative ones): two queries. Topic lists are JSON, so the match is on
    the quoted code in the JSON text -- portable to SQLite, and codes are slugs."""
    topics = list(Topic.objects.filter(active=True).order_by("name"))
    since = timezone.now() - timedelta(days=days)
    annotations = {
        f"t_{topic.pk}": Count("id", filter=Q(topics__icontains=f'"{topic.code}"')) for topic in topics
    }
    rows = (
        Review.objects.filter(created_at__gte=since).exclude(model_version="")
        .values("product__category")
        .annotate(total=Count("id"), negative=Count("id", filter=Q(sentiment=Sentiment.NEGATIVE)), **annotations)
        .order_by("-total")
    )
    table = [
        {"category": row["product__category"] or "(none)", "total": row["total"], "negative": row["negative"],
         "counts": [row[f"t_{topic.pk}"] for topic in topics]}
        for row in rows
    ]
    return topics, table


def reviews_needing_attention(*, limit: int = ATTENTION_SHOWN) -> list[Review]:
    """Newest reviews the model scored negative that no person has re-labelled otherwise: one query."""
    return list(
        Review.objects.filter(sentiment=Sentiment.NEGATIVE)
        .filter(Q(sentiment_label_human="") | Q(sentiment_label_human=Sentiment.NEGATIVE))
        .select_related("product", "member").order_by("-created_at", "-id")[:limit]
    )


def review_for_detail(*, external_id: str) -> Review:
    """One review with product and member (one query); raises Review.DoesNotExist."""
    return Review.objects.select_related("product", "member").defer("embedding").get(external_id=external_id)


def review_topic_rows(*, review: Review) -> list[dict]:
    """Each active topic (or one the person labelled) with the model's and the person's verdict: two queries."""
    labels = {
        label.topic_id: label.present
        for label in ReviewTopicLabel.objects.filter(review=review).only("topic_id", "present")
    }
    topics = Topic.objects.filter(Q(active=True) | Q(pk__in=list(labels))).order_by("name") if labels else \
        Topic.objects.filter(active=True).order_by("name")
    return [
        {"topic": topic, "model": topic.code in (review.topics or []), "human": labels.get(topic.pk)}
        for topic in topics
    ]


def active_version(*, task: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(task=task, status=ModelVersionStatus.ACTIVE).first()
