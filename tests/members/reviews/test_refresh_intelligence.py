"""manage.py refresh_intelligence (what `make demo` runs): every step in order, safe to repeat."""

from io import StringIO

import pytest
from django.core.management import call_command

from members.models import ModelVersion, Review, TrainingRun
from tests.factories import OrderFactory
from tests.members.reviews.conftest import FAST_RUN

pytestmark = pytest.mark.django_db


def test_first_run_trains_and_scores_and_a_second_keeps_the_model(reviews, settings):
    for review in reviews[:10]:
        OrderFactory(member=review.member)
    out = StringIO()

    call_command("refresh_intelligence", "--max-train-samples", "60", "--epochs", str(FAST_RUN["epochs"]), stdout=out)

    text = out.getvalue()
    assert "review model: done in" in text and "trained sentiment run" in text
    assert ModelVersion.objects.filter(status="active").count() == 1
    assert not Review.objects.filter(scored_at__isnull=True).exists()
    for step in ("review scoring", "members: features", "members: tiers", "recommendations", "campaigns"):
        assert f"] {step}: started" in text and f"] {step}: done in " in text

    again = StringIO()
    call_command("refresh_intelligence", stdout=again)
    assert "kept the active sentiment model" in again.getvalue()
    assert TrainingRun.objects.count() == 1
