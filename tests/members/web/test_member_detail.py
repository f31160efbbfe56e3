from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import ChurnScore, MemberModelVersion, SpendForecast
from members.segments.services.segments import segments_refresh
from ml.member_models.segmentation import SegmentationConfig
from tests.factories import MemberFactory, OrderFactory, ReviewFactory, TierChangeFactory, tier
from tests.members.segments.conftest import AS_OF, make_population

ACCESS_QUERIES = 3
MEMBER_QUERIES = 10  # member+tier+segment, churn, forecast, policy, ladder, window metrics, orders, reviews,
#                      tier changes, segment history


def _scores(member):
    churn_v = MemberModelVersion.objects.create(
        kind="churn", version=1, as_of=date(2026, 6, 30), artifact_path="c"
    )
    fc_v = MemberModelVersion.objects.create(
        kind="forecast", version=1, as_of=date(2026, 6, 30), artifact_path="f"
    )
    ChurnScore.objects.create(
        member=member,
        as_of=date(2026, 6, 30),
        probability=0.72,
        model_version=churn_v,
        scored_at=timezone.now(),
        top_reasons=[{"feature": "days_without_order", "text": "no order for 140 days"}],
    )
    SpendForecast.objects.create(
        member=member,
        as_of=date(2026, 6, 30),
        expected_spend=Decimal("310.50"),
        model_version=fc_v,
        scored_at=timezone.now(),
        likely_to_reach_next_tier=True,
    )


@pytest.mark.parametrize("events", [1, 5])
def test_member_page_query_count_is_pinned(merch_client, django_assert_num_queries, events):
    member = MemberFactory(tier=tier("basic"))
    _scores(member)
    for _ in range(events):
        OrderFactory(member=member)
        ReviewFactory(member=member, sentiment="negative")
        TierChangeFactory(member=member)
    with django_assert_num_queries(ACCESS_QUERIES + MEMBER_QUERIES):
        html = merch_client.get(f"/members/{member.external_id}/").content.decode()
    assert html.count('data-kind="order"') == events and html.count('data-kind="review"') == events
    assert html.count('data-kind="tier"') == events


def test_member_page_shows_churn_reasons_forecast_and_next_tier(merch_client):
    member = MemberFactory(tier=tier("basic"))
    _scores(member)
    # Placed before the scores' date (2026-06-30): next-tier progress is read as of that date (issue 11).
    OrderFactory(member=member, total=Decimal("120.00"), placed_at=datetime(2026, 6, 20, 12, tzinfo=UTC))
    html = merch_client.get(f"/members/{member.external_id}/").content.decode()
    assert 'data-stat="churn">72%<' in html and "no order for 140 days" in html
    assert 'data-stat="forecast">310.50<' in html and "Likely to reach the next tier" in html
    assert "120.00 spent and 1 order in" in html and "Silver" in html


def test_member_page_lists_segment_changes(merch_client, db):
    population = make_population()
    segments_refresh(as_of=AS_OF, config=SegmentationConfig(k=3))
    member = MemberFactory._meta.model.objects.get(pk=population["loyal"][0])
    html = merch_client.get(f"/members/{member.external_id}/").content.decode()
    assert f"Segment: {member.segment.name}" in html and 'data-kind="segment"' in html


def test_an_unknown_member_is_a_404(merch_client, db):
    assert merch_client.get("/members/nobody/").status_code == 404


def test_the_page_needs_a_merchandiser(client, db):
    member = MemberFactory(joined_at=timezone.now() - timedelta(days=3))
    assert client.get(f"/members/{member.external_id}/").status_code == 302
