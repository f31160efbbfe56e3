from datetime import timedelta
from decimal import Decimal

import pytest

from members.models import Tier, TierChange, TierPolicy
from members.tiers.selectors.tiers import tier_members_about_to_lose, tier_policy_what_if
from members.tiers.services.tier_policy import TierPolicyError, tier_policy_save
from tests.factories import MemberFactory, tier
from tests.members.tiers.conftest import AS_OF, days_before, order_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(policy):
    """basic: a (600.00, 3 orders), b (300.00, 3 orders), c (nothing); gold: d (2,400.00, 8 orders)."""
    a, b, c = MemberFactory(), MemberFactory(), MemberFactory()
    d = MemberFactory(tier=tier("gold"))
    for member, each in ((a, "200.00"), (b, "100.00")):
        for _ in range(3):
            order_on(member, days_before(20), each)
    for _ in range(8):
        order_on(d, days_before(100), "300.00")
    return a, b, c, d


def _rows(thresholds):
    return {
        r.code: r
        for r in tier_policy_what_if(
            thresholds=thresholds, as_of=AS_OF, window_days=365, qualify_on="spend_and_orders"
        )
    }


def test_what_if_counts_moves_per_tier_without_writing(shop, django_assert_num_queries):
    with django_assert_num_queries(2):  # the ladder, one aggregate
        rows = _rows(
            {"silver": {"min_spend": "250", "min_orders": 3}, "gold": {"min_spend": "2500", "min_orders": 8}}
        )
    basic, silver, gold = rows["basic"], rows["silver"], rows["gold"]
    assert (basic.members, basic.up, basic.current_up) == (3, 2, 1)  # a and b vs a alone
    assert (gold.members, gold.down, gold.current_down) == (1, 1, 0)  # d: 2,400 < 2,500
    assert (silver.qualifying, silver.current_qualifying) == (3, 1)  # a, b, d vs a
    assert not TierChange.objects.exists()
    assert Tier.objects.get(code="silver").min_spend == Decimal(500)


def test_saving_a_policy_creates_a_version_and_only_proposes(shop, django_capture_on_commit_callbacks):
    a, b, _c, _d = shop
    v1 = TierPolicy.objects.get(is_active=True)
    with django_capture_on_commit_callbacks(execute=True):
        saved = tier_policy_save(
            qualifying_window_days=365,
            downgrade_grace_days=30,
            upgrades_mode="apply_immediately",
            qualify_on="spend_and_orders",
            thresholds={"silver": {"min_spend": "250", "min_orders": 3}},
            created_by=None,
            note="Easier silver",
            evaluate_as_of=AS_OF,
        )  # Celery runs eagerly in tests: the evaluation queued on commit has run
    assert (saved.version, saved.is_active) == (v1.version + 1, True)
    assert (
        saved.thresholds["silver"]["min_spend"] == "250.00" and not TierPolicy.objects.get(pk=v1.pk).is_active
    )
    assert Tier.objects.get(code="silver").min_spend == Decimal("250.00")
    proposals = dict(TierChange.objects.values_list("member_id", "status"))
    assert proposals == {a.pk: "proposed", b.pk: "proposed"}  # upgrades proposed despite apply_immediately
    assert a.tier == tier("basic")


def test_a_ladder_whose_thresholds_fall_with_rank_is_refused(policy):
    with pytest.raises(TierPolicyError, match="cannot need less"):
        tier_policy_save(
            qualifying_window_days=365,
            downgrade_grace_days=30,
            upgrades_mode="propose",
            qualify_on="spend_and_orders",
            thresholds={"gold": {"min_spend": "100", "min_orders": 8}},
            created_by=None,
        )
    assert TierPolicy.objects.count() == 1


def test_about_to_lose_lists_what_is_needed_and_by_when(policy):
    keeps, loses = MemberFactory(tier=tier("silver")), MemberFactory(tier=tier("silver"), name="Ada")
    for _ in range(3):
        order_on(keeps, days_before(10), "200.00")
    order_on(loses, days_before(350), "180.00")  # leaves the window on AS_OF + 15
    order_on(loses, days_before(350), "20.00")  # same day: leaves together
    order_on(loses, days_before(200), "250.00")
    order_on(loses, days_before(100), "150.00")
    risks = tier_members_about_to_lose(
        as_of=AS_OF, horizon_days=30, window_days=365, qualify_on="spend_and_orders"
    )
    assert [r.member_id for r in risks] == [loses.pk]
    risk = risks[0]
    assert (risk.drop_date, risk.spend_needed, risk.orders_needed) == (
        AS_OF + timedelta(days=15),
        Decimal("100.00"),
        1,
    )
    assert (
        risk.message
        == f"needs 100.00 more and 1 more order by {(AS_OF + timedelta(days=15)).isoformat()} to keep Silver"
    )
    assert (
        tier_members_about_to_lose(
            as_of=AS_OF, horizon_days=14, window_days=365, qualify_on="spend_and_orders"
        )
        == []
    )


def test_will_downgrade_is_published_once_per_member_and_drop_date(policy, django_capture_on_commit_callbacks):
    from members.models import WebhookDelivery
    from members.partners.services.webhooks import webhook_subscription_create
    from members.tiers.services.tier_warnings import tier_will_downgrade_publish

    webhook_subscription_create(name="crm", url="https://crm.example.com/hooks", events=["tier.will_downgrade"])
    loses = MemberFactory(tier=tier("silver"))
    order_on(loses, days_before(350), "400.00")  # leaves the window on AS_OF + 15
    order_on(loses, days_before(100), "150.00")
    order_on(loses, days_before(50), "150.00")

    with django_capture_on_commit_callbacks(execute=False):
        assert tier_will_downgrade_publish(as_of=AS_OF) == 1
        assert tier_will_downgrade_publish(as_of=AS_OF + timedelta(days=1)) == 0  # already warned

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "tier.will_downgrade"
    assert delivery.payload["member_external_id"] == loses.external_id
    assert delivery.payload["tier"] == "silver"
    assert delivery.payload["drop_date"] == (AS_OF + timedelta(days=15)).isoformat()
