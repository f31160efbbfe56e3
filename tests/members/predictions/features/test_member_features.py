from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import MemberFeatures
from members.predictions.services.member_features import member_features_compute
from tests.factories import MemberFactory, OrderFactory, ReviewFactory
from tests.members.predictions.features.conftest import AS_OF, at

pytestmark = pytest.mark.django_db


def _row(member) -> MemberFeatures:
    return MemberFeatures.objects.get(member=member, as_of=AS_OF)


def test_regular_member_features_match_the_hand_computed_values(known_members):
    assert member_features_compute(as_of=AS_OF) == 3
    f = _row(known_members["a"])
    assert f.recency_days == 10
    assert f.first_order_days == 425  # 2025-05-01 .. 2026-06-30
    assert (f.lifetime_orders, f.purchase_days, f.lifetime_spend) == (3, 3, Decimal("350.00"))
    assert (f.frequency_90, f.monetary_90) == (1, Decimal("100.00"))
    assert (f.frequency_365, f.monetary_365) == (2, Decimal("150.00"))
    assert f.avg_order_value == Decimal("116.67")
    assert f.return_cancel_rate == pytest.approx(1 / 3)
    assert f.tenure_days == 545
    assert f.category_shares == {"Dresses": pytest.approx(0.7333), "Knits": pytest.approx(0.2667)}


def test_review_features_use_the_model_sentiment_when_scored_and_the_rating_otherwise(known_members):
    member_features_compute(as_of=AS_OF)
    f = _row(known_members["a"])
    assert f.review_count == 3
    assert f.avg_rating == pytest.approx(8 / 3)
    # 5 stars unscored: not negative; scored negative: negative; 2 stars scored positive: not negative.
    assert f.negative_review_share == pytest.approx(1 / 3)
    assert f.days_since_last_review == 5
    assert f.negative_service_reviews_90 == 1
    assert f.topic_sentiment == {
        "delivery_logistics": {"reviews": 1, "negative_share": 1.0},
        "quality": {"reviews": 1, "negative_share": 0.0},
    }
    assert f.text_embedding is None


def test_member_without_orders_or_reviews_gets_empty_features(known_members):
    member_features_compute(as_of=AS_OF)
    f = _row(known_members["b"])
    assert f.recency_days is None and f.first_order_days is None and f.avg_order_value is None
    assert (f.lifetime_orders, f.frequency_365, f.monetary_365) == (0, 0, Decimal(0))
    assert f.return_cancel_rate is None
    assert f.tenure_days == 29
    assert (f.review_count, f.avg_rating, f.negative_review_share) == (0, None, None)
    assert f.category_shares == {} and f.topic_sentiment == {}


def test_cancelled_orders_are_not_purchases_but_count_in_the_return_rate(known_members):
    member_features_compute(as_of=AS_OF)
    f = _row(known_members["d"])
    assert f.recency_days is None and f.lifetime_orders == 0
    assert f.return_cancel_rate == 1.0


def test_member_who_joined_after_as_of_gets_no_row(known_members):
    member_features_compute(as_of=AS_OF)
    assert not MemberFeatures.objects.filter(member=known_members["c"]).exists()


def test_orders_and_reviews_after_as_of_change_nothing(known_members):
    member_features_compute(as_of=AS_OF)
    before = list(MemberFeatures.objects.order_by("member_id").values())
    a = known_members["a"]
    OrderFactory(member=a, placed_at=at(2026, 7, 15), status="delivered", total=Decimal("5000.00"))
    OrderFactory(member=known_members["b"], placed_at=at(2026, 7, 1, hour=0), total=Decimal("10.00"))
    ReviewFactory(member=a, rating=1, created_at=at(2026, 8, 1), sentiment="negative", topics=["service"])
    member_features_compute(as_of=AS_OF)
    after = list(MemberFeatures.objects.order_by("member_id").values())
    strip = [{k: v for k, v in row.items() if k != "computed_at"} for row in before]
    assert strip == [{k: v for k, v in row.items() if k != "computed_at"} for row in after]


def test_re_running_the_same_as_of_updates_in_place(known_members):
    member_features_compute(as_of=AS_OF)
    member_features_compute(as_of=AS_OF)
    assert MemberFeatures.objects.filter(as_of=AS_OF).count() == 3
    OrderFactory(member=known_members["b"], placed_at=at(2026, 6, 29), total=Decimal("10.00"))
    member_features_compute(as_of=AS_OF)
    assert MemberFeatures.objects.filter(as_of=AS_OF).count() == 3
    assert _row(known_members["b"]).recency_days == 1


def test_each_as_of_date_keeps_its_own_snapshot(known_members):
    member_features_compute(as_of=AS_OF)
    member_features_compute(as_of=AS_OF - timedelta(days=30))
    a = known_members["a"]
    assert MemberFeatures.objects.get(member=a, as_of=AS_OF - timedelta(days=30)).recency_days == 91  # 03-01 .. 05-31: 31 + 30 + 30 days
    assert _row(a).recency_days == 10


def test_member_ids_restricts_the_refresh_to_those_members(known_members):
    assert member_features_compute(as_of=AS_OF, member_ids=[known_members["b"].pk]) == 1
    assert list(MemberFeatures.objects.values_list("member_id", flat=True)) == [known_members["b"].pk]


def test_feature_step_runs_the_same_number_of_queries_for_3_or_30_members(known_members):
    with CaptureQueriesContext(connection) as few:
        member_features_compute(as_of=AS_OF)
    for _ in range(27):
        OrderFactory(member=MemberFactory(joined_at=at(2025, 6, 1)), placed_at=at(2026, 6, 1))
    with CaptureQueriesContext(connection) as many:
        written = member_features_compute(as_of=AS_OF)
    assert written == 30
    # Expected, inside a savepoint pair (test transaction): SET LOCAL jit = off, the INSERT ... SELECT
    # ... ON CONFLICT, ANALYZE members_memberfeatures (a whole day was written).
    assert len(few) == len(many) == 5


def test_text_embedding_is_the_mean_of_the_members_review_embeddings_up_to_as_of(known_members):
    import numpy as np

    from members.predictions.services.member_features import member_text_embeddings_compute

    a = known_members["a"]
    ReviewFactory(member=a, created_at=at(2026, 6, 1), embedding=np.array([1, 0, 2], dtype="<f4").tobytes())
    ReviewFactory(member=a, created_at=at(2026, 6, 2), embedding=np.array([3, 2, 0], dtype="<f4").tobytes())
    ReviewFactory(member=a, created_at=at(2026, 7, 2), embedding=np.array([99, 99, 99], dtype="<f4").tobytes())
    member_features_compute(as_of=AS_OF)
    assert member_text_embeddings_compute(as_of=AS_OF) == 1
    assert _row(a).text_embedding == [2.0, 1.0, 1.0]
    assert _row(known_members["b"]).text_embedding is None  # no embedded reviews: stays null
