"""Review detail (entities highlighted, one-click label corrections) and the reviews insights card.

Label controls POST with htmx and get their own control back, re-rendered with the new state.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from members.models import Review, Sentiment, Topic
from members.reviews.selectors.review_intelligence import (
    review_for_detail,
    review_topic_rows,
    reviews_needing_attention,
    sentiment_weekly,
    topic_breakdown_by_category,
)
from members.reviews.services.labels import review_sentiment_label_set, review_topic_label_set
from members.web.access import web_app_view
from members.web.permissions import web_action_view
from members.web.rendering import render_htmx

_PRESENT = {"yes": True, "no": False, "clear": None}


def _review_or_404(external_id: str) -> Review:
    try:
        return review_for_detail(external_id=external_id)
    except Review.DoesNotExist:
        raise Http404("No such review") from None


@web_app_view
@require_GET
def review_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    review = _review_or_404(external_id)
    return render(request, "web/review_detail.html", {
        "review": review, "topic_rows": review_topic_rows(review=review), "sentiments": Sentiment.choices,
        "page_title": f"Review {review.external_id}",
    })


@web_action_view("review_label")
@require_POST
def review_label_sentiment(request: HttpRequest, external_id: str) -> HttpResponse:
    """Set (or clear, with label="") a person's sentiment for the review; returns the control."""
    review = get_object_or_404(Review.objects.only("pk"), external_id=external_id)
    label = request.POST.get("label", "")
    if label not in {"", *Sentiment.values}:
        return HttpResponse("Unknown sentiment.", status=400)
    review = review_sentiment_label_set(review_id=review.pk, label=label, user=request.user)
    return render(request, "web/partials/review_sentiment_label.html",
                  {"review": review, "sentiments": Sentiment.choices})


@web_action_view("review_label")
@require_POST
def review_label_topic(request: HttpRequest, external_id: str, topic_id: int) -> HttpResponse:
    """Confirm (present=yes), reject (no) or clear a topic for the review; returns that topic's control."""
    review = _review_or_404(external_id)
    topic = get_object_or_404(Topic, pk=topic_id)
    choice = request.POST.get("present", "")
    if choice not in _PRESENT:
        return HttpResponse("present must be yes, no or clear.", status=400)
    label = review_topic_label_set(review_id=review.pk, topic_id=topic.pk, present=_PRESENT[choice],
                                   user=request.user)
    row = {"topic": topic, "model": topic.code in (review.topics or []),
           "human": None if label is None else label.present}
    return render(request, "web/partials/review_topic_label.html", {"review": review, "row": row})


@web_app_view
@require_GET
def review_insights(request: HttpRequest) -> HttpResponse:
    """Sentiment over time, topics by category and the negative reviews that need attention."""
    topics, breakdown = topic_breakdown_by_category()
    return render_htmx(request, partial_template="web/partials/review_insights.html", context={
        "weeks": sentiment_weekly(), "topics": topics, "breakdown": breakdown,
        "attention": reviews_needing_attention(),
    }, page_title="Review insights")
