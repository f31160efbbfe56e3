from datetime import timedelta

import pytest

from members.models import Member, TierChange, TierPolicy
from members.tiers.services import tier_evaluation
from members.tiers.services.tier_evaluation import tier_evaluation_run, tier_recheck_member
from tests.factories import MemberFactory, tier
from tests.members.tiers.conftest import AS_OF, days_before, order_on

pytestmark = pytest.mark.django_db


def _silver_candidate(total_each="166.67", orders=3, days_ago=10):
    member = MemberFactory()
    for _ in range(orders):
        order_on(member, days_before(days_ago), total_each)
    return member


def _proposals(**filters):
    return list(
        TierChange.objects.filter(status="proposed", **filters).values_list("member_id", "to_tier__code")
    )


def test_exactly_at_the_threshold_qualifies(policy):
    member = _silver_candidate(total_each="166.66")  # 499.98 ...
    order_on(member, days_before(5), "0.02")  # ... + 0.02 = 500.00 exactly, 4 orders
    tier_evaluation_run(as_of=AS_OF)
    assert _proposals() == [(member.pk, "silver")]


def test_one_cent_below_the_threshold_does_not_qualify(policy):
    member = _silver_candidate(total_each="166.66")
    order_on(member, days_before(5), "0.01")  # 499.99
    tier_evaluation_run(as_of=AS_OF)
    assert _proposals() == []


def test_spend_and_orders_both_count_by_default_but_either_is_enough_with_or(policy):
    big_spender = MemberFactory()
    order_on(big_spender, days_before(3), "900.00")  # 1 order: silver needs 3
    tier_evaluation_run(as_of=AS_OF)
    assert _proposals() == []
    TierPolicy.objects.filter(pk=policy.pk).update(qualify_on="spend_or_orders")
    tier_evaluation_run(as_of=AS_OF)
    assert _proposals() == [(big_spender.pk, "silver")]


def test_an_order_exactly_window_days_ago_has_left_the_window(policy):
    member = MemberFactory()
    order_on(member, days_before(364), "600.00", hour=0)  # oldest day still inside
    order_on(member, days_before(100), "1.00")
    order_on(member, days_before(365), "1.00", hour=23)  # window_days ago: outside
    tier_evaluation_run(as_of=AS_OF)
    assert _proposals() == []  # 2 orders count, silver needs 3
    order_on(member, days_before(364), "1.00", hour=23)
    tier_evaluation_run(as_of=AS_OF)
    proposal = TierChange.objects.get(status="proposed")
    assert (proposal.metrics["spend"], proposal.metrics["orders"]) == ("602.00", 3)
    assert proposal.metrics["window_start"] == days_before(364).isoformat()


def test_returned_and_cancelled_orders_do_not_count(policy):
    member = _silver_candidate()
    order_on(member, days_before(2), "500.00", status="returned")
    member.orders.filter(total="166.67").update(status="cancelled")
    tier_evaluation_run(as_of=AS_OF)
    assert _proposals() == []


def test_proposal_carries_the_metrics_behind_it(policy):
    member = _silver_candidate()
    tier_evaluation_run(as_of=AS_OF)
    change = TierChange.objects.get(member=member)
    assert (change.source, change.status, change.as_of, change.policy_id) == (
        "evaluation",
        "proposed",
        AS_OF,
        policy.pk,
    )
    assert change.metrics["spend"] == "500.01" and change.metrics["orders"] == 3
    assert change.metrics["thresholds"]["to"] == {
        "code": "silver",
        "name": "Silver",
        "rank": 1,
        "min_spend": "500.00",
        "min_orders": 3,
    }
    assert "Silver needs 500.00 and 3 orders" in change.reason


def test_upgrades_apply_at_once_when_the_policy_says_so(policy):
    TierPolicy.objects.filter(pk=policy.pk).update(upgrades_mode="apply_immediately")
    member = _silver_candidate()
    tier_evaluation_run(as_of=AS_OF)
    member.refresh_from_db()
    assert member.tier == tier("silver")
    assert TierChange.objects.get(member=member).status == "applied"


def test_rerunning_the_same_day_creates_no_duplicates(policy):
    up = _silver_candidate()
    down = MemberFactory(tier=tier("gold"), tier_below_threshold_since=days_before(40))
    first = tier_evaluation_run(as_of=AS_OF)
    second = tier_evaluation_run(as_of=AS_OF)
    assert (first.upgrades_proposed, first.downgrades_proposed) == (1, 1)
    assert (second.upgrades_proposed, second.downgrades_proposed, second.proposals_refreshed) == (0, 0, 2)
    assert sorted(_proposals()) == sorted([(up.pk, "silver"), (down.pk, "silver")])
    assert TierChange.objects.count() == 2


def test_a_proposal_the_figures_no_longer_support_is_withdrawn(policy):
    member = _silver_candidate()
    tier_evaluation_run(as_of=AS_OF)
    member.orders.update(status="returned")
    tier_evaluation_run(as_of=AS_OF)
    assert TierChange.objects.get(member=member).status == "withdrawn"


def test_downgrade_waits_for_the_grace_period(policy):
    member = MemberFactory(tier=tier("gold"))  # no orders: below Gold from the first evaluation
    tier_evaluation_run(as_of=AS_OF)
    member.refresh_from_db()
    assert member.tier_below_threshold_since == AS_OF and _proposals() == []
    tier_evaluation_run(as_of=AS_OF + timedelta(days=29))
    assert _proposals() == []
    tier_evaluation_run(as_of=AS_OF + timedelta(days=30))
    assert _proposals() == [(member.pk, "silver")]


def test_meeting_the_tier_again_stops_the_grace_clock(policy):
    member = MemberFactory(tier=tier("silver"), tier_below_threshold_since=days_before(10))
    for _ in range(3):
        order_on(member, days_before(1), "200.00")
    tier_evaluation_run(as_of=AS_OF)
    member.refresh_from_db()
    assert member.tier_below_threshold_since is None and _proposals() == []


def test_a_downgrade_goes_one_level_at_a_time(policy):
    member = MemberFactory(tier=tier("platinum"), tier_below_threshold_since=days_before(90))
    tier_evaluation_run(as_of=AS_OF)
    assert _proposals() == [(member.pk, "gold")]  # qualifies for basic, moves one level


def test_a_locked_member_is_skipped_until_the_lock_ends(policy):
    member = MemberFactory(
        tier=tier("gold"), tier_locked_until=AS_OF, tier_below_threshold_since=days_before(90)
    )
    assert tier_evaluation_run(as_of=AS_OF).locked_skipped == 1
    assert _proposals() == []
    tier_evaluation_run(as_of=AS_OF + timedelta(days=1))
    assert _proposals() == [(member.pk, "silver")]  # judged normally afterwards, not a floor


def test_recheck_after_a_return_proposes_the_downgrade_without_grace(policy):
    member = MemberFactory(tier=tier("silver"))
    orders = [order_on(member, days_before(5), "200.00") for _ in range(3)]
    tier_recheck_member(member_id=member.pk, as_of=AS_OF)
    assert _proposals() == []
    orders[0].status = "returned"
    orders[0].save()
    tier_recheck_member(member_id=member.pk, as_of=AS_OF)
    assert _proposals() == [(member.pk, "basic")]


@pytest.mark.parametrize("members", [3, 12])
def test_evaluation_query_count_does_not_grow_with_members(
    policy, monkeypatch, django_assert_num_queries, members
):
    monkeypatch.setattr(tier_evaluation, "EVALUATION_BATCH_SIZE", 100)
    for _ in range(members):
        _silver_candidate()
        MemberFactory(tier=tier("gold"))
    # active policy, ladder, the aggregate query, savepoint, bulk insert of proposals,
    # start the grace clocks, release savepoint.
    with django_assert_num_queries(7):
        result = tier_evaluation_run(as_of=AS_OF)
    assert (result.upgrades_proposed, result.grace_started) == (members, members)
    assert Member.objects.filter(tier_below_threshold_since=AS_OF).count() == members
