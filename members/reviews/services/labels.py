"""People's corrections of the review models: sentiment and topics.

A correction is stored beside the model's output (Review.sentiment_label_human, ReviewTopicLabel),
never over it, so "how often people agree with the model" stays measurable, and the next
fine-tune uses the person's label instead of the star rating (members/reviews/services/training.py).
"""

from django.db import transaction
from django.utils import timezone

from members.models import Review, ReviewTopicLabel, Sentiment, Topic


class LabelError(ValueError):
    """A label that is not one of the task's labels; the message is for people."""


def review_sentiment_label_set(*, review_id: int, label: str, user) -> Review:
    """Record `user`'s sentiment for a review; "" clears the correction. Raises LabelError."""
    if label and label not in Sentiment.values:
        raise LabelError(f"{label!r} is not a sentiment; choose one of {', '.join(Sentiment.values)}.")
    now = timezone.now()
    updated = Review.objects.filter(pk=review_id).update(
        sentiment_label_human=label, labelled_by=user if label else None, labelled_at=now if label else None
    )
    if not updated:
        raise Review.DoesNotExist(f"Review {review_id} does not exist.")
    return Review.objects.get(pk=review_id)


def review_topic_label_set(*, review_id: int, topic_id: int, present: bool | None, user) -> ReviewTopicLabel | None:
    """Record whether a topic applies to a review (upsert); None removes the person's verdict."""
    with transaction.atomic():
        if present is None:
            ReviewTopicLabel.objects.filter(review_id=review_id, topic_id=topic_id).delete()
            return None
        if not Topic.objects.filter(pk=topic_id).exists():
            raise LabelError(f"Topic {topic_id} does not exist.")
        label, _ = ReviewTopicLabel.objects.update_or_create(
            review_id=review_id, topic_id=topic_id,
            defaults={"present": present, "labelled_by": user, "labelled_at": timezone.now()},
        )
    return label
