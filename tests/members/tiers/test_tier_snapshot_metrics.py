"""The nightly refresh's tier evaluation reads each member's window metrics from the feature
snapshot computed one step earlier (tier_member_metrics_from_snapshot) instead of aggregating the
orders again: the figures must be the ones the orders give, and the snapshot is not used when it
cannot stand in for them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import MemberStatus, TierChange
from members.predictions.services.member_features import member_features_compute
from members.tiers.selectors.tiers import tier_member_metrics, tier_member_metrics_from_snapshot
from members.tiers.services.tier_evaluation import tier_evaluation_run
from tests.factories import MemberFactory, tier
from tests.members.tiers.conftest import AS_OF, days_before, order_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(policy):
    """Orders on the window's edges (364 days before as_of is in, 365 is out), given back, after
    as_of, at midnight; members in several tiers, one closed, one without orders."""
    a, b, c = MemberFactory(), MemberFactory(tier=tier("gold")), MemberFactory(tier=tier("silver"))
    order_on(a, days_before(364), "400.00", hour=0)
    order_on(a, days_before(365), "900.00", hour=23)
    order_on(a, days_before(0), "150.00", hour=23)
    order_on(a, days_before(-1), "999.00", hour=0)
    order_on(a, days_before(5), "10.00")
    order_on(b, days_before(30), "800.00")
    order_on(b, days_before(40), "800.00", status="returned")
    order_on(c, days_before(200), "300.00", status="cancelled")
    for n in range(4):
        order_on(c, days_before(10 + n), "130.00")
    MemberFactory(status=MemberStatus.CLOSED)
    MemberFactory()
    return a, b, c


def _by_member(queryset) -> dict:
    return {row["pk"]: row for row in queryset}


def test_snapshot_metrics_are_the_orders_metrics(shop, policy):
    member_features_compute(as_of=AS_OF)
    from_orders = _by_member(tier_member_metrics(as_of=AS_OF, window_days=policy.qualifying_window_days))
    from_snapshot = _by_member(tier_member_metrics_from_snapshot(as_of=AS_OF, window_days=policy.qualifying_window_days))
    assert from_snapshot == from_orders
    a, _, c = shop
    assert (from_orders[a.pk]["window_spend"], from_orders[a.pk]["window_orders"]) == (560, 3)
    assert (from_orders[c.pk]["window_spend"], from_orders[c.pk]["window_orders"]) == (520, 4)


def test_the_evaluation_from_the_snapshot_decides_as_from_the_orders(shop, policy):
    member_features_compute(as_of=AS_OF)
    from_orders = tier_evaluation_run(as_of=AS_OF)
    proposals = sorted(TierChange.objects.values_list("member_id", "from_tier_id", "to_tier_id", "reason"))
    TierChange.objects.all().delete()
    from_snapshot = tier_evaluation_run(as_of=AS_OF, from_snapshot=True)
    assert sorted(TierChange.objects.values_list("member_id", "from_tier_id", "to_tier_id", "reason")) == proposals
    assert from_snapshot.upgrades_proposed == from_orders.upgrades_proposed > 0


def test_the_orders_are_aggregated_when_the_snapshot_cannot_stand_in(shop, policy):
    assert tier_member_metrics_from_snapshot(as_of=AS_OF, window_days=365) is None  # no snapshot yet
    member_features_compute(as_of=AS_OF)
    assert tier_member_metrics_from_snapshot(as_of=AS_OF, window_days=180) is None  # another window
    MemberFactory(joined_at=timezone.now() + timedelta(days=1))  # joined after as_of: no snapshot row
    assert tier_member_metrics_from_snapshot(as_of=AS_OF, window_days=365) is None
