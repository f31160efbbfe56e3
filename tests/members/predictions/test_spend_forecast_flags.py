"""The forecast's tier flags, set in SQL from the expected spend, the member's tier and their orders
(365-day qualifying window of the default policy; a forecast covers the next 90 days)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from members.models import MemberModelKind, MemberModelVersion, SpendForecast
from members.predictions.services.spend_forecast import spend_forecast_flags_set
from tests.factories import MemberFactory, OrderFactory, tier

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def _order(member, days_ago: int, total: str, status: str = "delivered"):
    day = AS_OF - timedelta(days=days_ago)
    OrderFactory(member=member, placed_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                 total=Decimal(total), status=status)  # fmt: skip


@pytest.fixture
def forecast_for(db):
    version = MemberModelVersion.objects.create(kind=MemberModelKind.FORECAST, version=1, as_of=AS_OF,
                                                artifact_path="unused")  # fmt: skip

    def make(member, expected: str) -> SpendForecast:
        return SpendForecast.objects.create(member=member, as_of=AS_OF, expected_spend=Decimal(expected),
                                            model_version=version, scored_at=datetime.now(UTC))  # fmt: skip

    return make


def _flags(forecast: SpendForecast) -> tuple[bool, bool]:
    forecast.refresh_from_db()
    return forecast.likely_to_reach_next_tier, forecast.at_risk_of_downgrade


def test_window_spend_plus_expected_spend_reaching_the_next_tier_is_likely(forecast_for):
    reaches, falls_short = MemberFactory(), MemberFactory()
    _order(reaches, 100, "300.00")
    _order(falls_short, 100, "100.00")
    _order(falls_short, 50, "1000.00", status="returned")  # given back: never counts
    _order(falls_short, -1, "1000.00")  # after as_of: not known yet
    a, b = forecast_for(reaches, "250.00"), forecast_for(falls_short, "50.00")
    assert spend_forecast_flags_set(as_of=AS_OF) == 1
    assert _flags(a) == (True, False)  # 300 + 250 >= Silver's 500; Basic has no spend to keep
    assert _flags(b) == (False, False)


def test_spend_leaving_the_window_within_90_days_puts_the_tier_at_risk(forecast_for):
    losing, keeping, top = (
        MemberFactory(tier=tier("gold")),
        MemberFactory(tier=tier("gold")),
        MemberFactory(tier=tier("platinum")),
    )
    _order(losing, 300, "1900.00")  # still in the window today, out of it 90 days from now
    _order(losing, 10, "200.00")
    _order(keeping, 10, "2100.00")
    _order(top, 10, "6000.00")
    a, b, c = forecast_for(losing, "100.00"), forecast_for(keeping, "0.00"), forecast_for(top, "9000.00")
    spend_forecast_flags_set(as_of=AS_OF)
    assert _flags(a) == (False, True)  # 200 kept + 100 expected < Gold's 2000
    assert _flags(b) == (False, False)
    assert _flags(c) == (False, False)  # no tier above Platinum


def test_only_rows_whose_flags_change_are_written_and_member_ids_limit_the_update(forecast_for):
    first, second = MemberFactory(), MemberFactory()
    _order(first, 10, "600.00")
    _order(second, 10, "600.00")
    a, b = forecast_for(first, "0.00"), forecast_for(second, "0.00")
    assert spend_forecast_flags_set(as_of=AS_OF, member_ids=[first.pk]) == 1
    assert (_flags(a), _flags(b)) == ((True, False), (False, False))
    assert spend_forecast_flags_set(as_of=AS_OF) == 1  # only the second member's row changes now
    assert spend_forecast_flags_set(as_of=AS_OF) == 0


def test_flags_read_from_the_feature_snapshot_match_the_flags_aggregated_from_orders(forecast_for):
    """The scorer reads the in-window sums from the day's snapshot (monetary_365, and monetary_365
    minus monetary_same_period_ly for the spend kept 90 days from now); on the window's edges
    (day 364/365 out of the window, day 274/275 out of it within 90 days) they must agree."""
    from members.models import Member
    from members.predictions.services.member_features import member_features_compute

    members = []
    for code, days, expected in (
        ("gold", (364, 10), "100.00"), ("gold", (365, 10), "100.00"), ("gold", (274, 275), "50.00"),
        ("silver", (275, 274), "10.00"), ("platinum", (1, 364), "0.00"), ("basic", (100, 2), "300.00"),
        ("basic", (), "100.00"), ("silver", (), "0.00"),
    ):  # fmt: skip
        member = MemberFactory(tier=tier(code))
        for n, day in enumerate(days):
            _order(member, day, "1100.00" if n == 0 else "950.00")
        _order(member, 50, "5000.00", status="returned")
        members.append((member, forecast_for(member, expected)))
    member_features_compute(as_of=AS_OF)
    spend_forecast_flags_set(as_of=AS_OF)
    from_orders = {m.pk: _flags(f) for m, f in members}
    assert {flags for flags in from_orders.values()} >= {(True, False), (False, True), (False, False)}
    SpendForecast.objects.update(likely_to_reach_next_tier=False, at_risk_of_downgrade=False)
    spend_forecast_flags_set(as_of=AS_OF, from_snapshot=True)
    assert {m.pk: _flags(f) for m, f in members} == from_orders
    assert Member.objects.count() == len(members)
