from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import ChurnScore, Member, MemberModelVersion, Segment, SpendForecast
from members.segments.services.segments import segments_refresh
from members.segments.services.segments_rules import segment_rule_save
from ml.member_models.segmentation import SegmentationConfig
from tests.factories import MemberFactory, OrderFactory, tier
from tests.members.segments.conftest import AS_OF, GROUP_SIZE, make_population

pytestmark = pytest.mark.django_db


@pytest.fixture
def segmented(db):
    population = make_population()
    segments_refresh(as_of=AS_OF, config=SegmentationConfig(k=3))
    segment_rule_save(
        definition={
            "match": "all",
            "groups": [
                {"match": "all", "conditions": [{"field": "monetary_365", "op": "gte", "value": 500}]}
            ],
        },
        name="Big spenders",
    )
    return population


def _walk(client, url):
    seen = []
    while url:
        body = client.get(url).json()
        seen += [row["external_id"] for row in body["results"]]
        url = body["next"]
    return seen


def test_segments_list_shows_sizes_and_stats(make_client, segmented, django_assert_num_queries):
    client = make_client("members:read")
    client.get("/api/v1/segments/")
    with django_assert_num_queries(2):  # segments, snapshots (the key row is cached by the first call)
        rows = client.get("/api/v1/segments/").json()["results"]
    assert len(rows) == 4 and all(r["size"] == GROUP_SIZE for r in rows)
    rule = next(r for r in rows if r["kind"] == "rule")
    assert rule["rule_text"] == "Spend, last 365 days at least 500" and rule["as_of"] == AS_OF.isoformat()
    learned = next(r for r in rows if r["kind"] == "learned" and r["stats"]["top_categories"])
    assert learned["description"] and "avg_spend_365" in learned["stats"]


def test_learned_segment_members_walk_by_cursor(make_client, segmented):
    client = make_client("members:read")
    segment = Segment.objects.get(members__pk=segmented["loyal"][0])
    seen = _walk(client, f"/api/v1/segments/{segment.pk}/members/?page_size=7")
    expected = set(Member.objects.filter(pk__in=segmented["loyal"]).values_list("external_id", flat=True))
    assert len(seen) == GROUP_SIZE and set(seen) == expected


def test_rule_segment_members_match_the_rule(make_client, segmented):
    client = make_client("members:read")
    segment = Segment.objects.get(kind="rule")
    seen = _walk(client, f"/api/v1/segments/{segment.pk}/members/")
    assert set(seen) == set(
        Member.objects.filter(pk__in=segmented["loyal"]).values_list("external_id", flat=True)
    )


def test_segments_need_the_members_read_scope(make_client, segmented):
    assert make_client("orders:read").get("/api/v1/segments/").status_code == 403
    assert make_client("members:read").get("/api/v1/segments/999999/").status_code == 404


def test_member_scores_show_segment_churn_forecast_and_next_tier(make_client):
    member = MemberFactory(tier=tier("basic"))
    # Placed before the scores' date: next-tier progress is read as of that date (issue 11).
    OrderFactory(member=member, total=Decimal("150.00"), placed_at=datetime(2026, 6, 20, 12, tzinfo=UTC))
    version = MemberModelVersion.objects.create(
        kind="churn", version=1, as_of=date(2026, 6, 30), artifact_path="c"
    )
    forecast_version = MemberModelVersion.objects.create(
        kind="forecast", version=1, as_of=date(2026, 6, 30), artifact_path="f"
    )
    ChurnScore.objects.create(
        member=member,
        as_of=date(2026, 6, 30),
        probability=0.4,
        model_version=version,
        scored_at=timezone.now(),
        top_reasons=[{"text": "only one order"}],
    )
    SpendForecast.objects.create(
        member=member,
        as_of=date(2026, 6, 30),
        expected_spend=Decimal("80.00"),
        model_version=forecast_version,
        scored_at=timezone.now(),
        at_risk_of_downgrade=True,
    )
    body = make_client("members:read").get(f"/api/v1/members/{member.external_id}/scores/").json()
    assert body["segment"] is None
    assert body["churn"] == {"probability": 0.4, "as_of": "2026-06-30", "reasons": ["only one order"]}
    assert body["forecast"]["expected_spend"] == "80.00" and body["forecast"]["at_risk_of_downgrade"] is True
    nt = body["next_tier"]
    assert nt["tier"] == "basic" and nt["next_tier"] == "silver" and nt["window_spend"] == "150.00"
    assert nt["window_orders"] == 1 and 0 < nt["progress"] < 1


def test_member_scores_of_an_unscored_member_are_null(make_client, segmented):
    member = Member.objects.get(pk=segmented["new"][0])
    client = make_client("members:read")
    body = client.get(f"/api/v1/members/{member.external_id}/scores/").json()
    assert body["churn"] is None and body["forecast"] is None and body["segment"]["id"] == member.segment_id
    assert client.get("/api/v1/members/nobody/scores/").status_code == 404
    assert make_client("orders:read").get(f"/api/v1/members/{member.external_id}/scores/").status_code == 403


def test_segment_endpoints_are_in_the_schema_with_their_scope(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/segments/",
        "/api/v1/segments/{id}/",
        "/api/v1/segments/{id}/members/",
        "/api/v1/members/{external_id}/scores/",
    ):
        operation = schema["paths"][path]["get"]
        assert {"ApiKeyBearer": ["members:read"]} in operation["security"], path
        assert "`members:read`" in operation["description"]
