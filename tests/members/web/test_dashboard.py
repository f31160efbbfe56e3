from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from members.dashboard.selectors import (
    dashboard_daily_revenue,
    dashboard_member_counts,
    dashboard_revenue_comparison,
    dashboard_tier_distribution,
)
from members.templatetags.web_ui import NAV_ITEMS
from tests.factories import MemberFactory, OrderFactory, ReviewFactory, tier

HTMX = {"HTTP_HX_REQUEST": "true"}

# Every web view first loads the session, the user and checks the user's groups.
ACCESS_QUERIES = 3


@pytest.fixture
def shop(db):
    """A small shop: revenue in both comparison windows, one returned order, closed members."""
    now = timezone.now()
    members = MemberFactory.create_batch(3)
    MemberFactory(status="closed", tier=tier("silver"))
    OrderFactory(member=members[0], placed_at=now - timedelta(days=1), total=Decimal("120.00"))
    OrderFactory(member=members[1], placed_at=now - timedelta(days=5), total=Decimal("30.50"), status="paid")
    OrderFactory(member=members[1], placed_at=now - timedelta(days=3), total=Decimal("999.00"), status="returned")
    OrderFactory(member=members[2], placed_at=now - timedelta(days=40), total=Decimal("100.00"))
    OrderFactory(member=members[2], placed_at=now - timedelta(days=90), total=Decimal("5000.00"))
    ReviewFactory(member=members[0], title="Superb stitching", rating=5)
    return now


class TestDashboardSelectors:
    def test_member_counts_split_active_from_all(self, shop):
        counts = dashboard_member_counts()
        assert (counts.total, counts.active) == (4, 3)

    def test_revenue_compares_the_last_30_days_with_the_30_before_and_skips_returns(self, shop):
        [gbp] = dashboard_revenue_comparison(now=shop)
        assert gbp.currency == "GBP"
        assert gbp.revenue == Decimal("150.50")
        assert gbp.orders == 2
        assert gbp.previous_revenue == Decimal("100.00")
        assert gbp.previous_orders == 1
        assert gbp.revenue_change_pct == pytest.approx(50.5)
        assert gbp.orders_change_pct == pytest.approx(100.0)

    def test_revenue_change_is_none_without_an_earlier_window(self, db):
        OrderFactory(placed_at=timezone.now() - timedelta(days=2), total=Decimal("10.00"))
        [gbp] = dashboard_revenue_comparison()
        assert gbp.revenue_change_pct is None

    def test_revenue_is_kept_apart_per_currency(self, db):
        OrderFactory(placed_at=timezone.now() - timedelta(days=2), total=Decimal("10.00"), currency="USD")
        OrderFactory(placed_at=timezone.now() - timedelta(days=2), total=Decimal("20.00"))
        assert [(c.currency, c.revenue) for c in dashboard_revenue_comparison()] == [
            ("GBP", Decimal("20.00")),
            ("USD", Decimal("10.00")),
        ]

    def test_daily_revenue_has_every_day_with_quiet_days_as_zero(self, shop):
        [series] = dashboard_daily_revenue(now=shop, days=60)
        assert len(series.days) == 60
        assert series.last_day == timezone.localdate(shop)
        by_day = dict(series.days)
        assert by_day[timezone.localdate(shop - timedelta(days=1))] == Decimal("120.00")
        assert by_day[timezone.localdate(shop - timedelta(days=3))] == Decimal("0.00")  # the returned order
        assert series.total == Decimal("250.50")  # the 90-day-old order is outside the range

    def test_tier_distribution_lists_every_tier_with_active_members_only(self, shop):
        shares = dashboard_tier_distribution()
        names = [share.name for share in shares]
        assert len(names) >= 2 and names[0] == tier("basic").name
        counts = {share.name: share.members for share in shares}
        assert counts[tier("basic").name] == 3
        assert counts[tier("silver").name] == 0  # the silver member is closed


class TestDashboardViews:
    def test_dashboard_page_renders_card_shells_without_data_queries(self, merch_client, django_assert_num_queries):
        with django_assert_num_queries(ACCESS_QUERIES):
            response = merch_client.get("/")
        html = response.content.decode()
        assert response.status_code == 200
        for partial in ("members", "revenue", "tiers", "reviews"):
            assert f'hx-get="/dashboard/{partial}/"' in html
        assert 'hx-trigger="load"' in html
        assert "X-CSRFToken" in html
        assert "/static/django_htmx/htmx-2.min.js" in html
        assert "/static/web/app.js" in html

    @pytest.mark.parametrize(
        ("url", "queries", "expected"),
        [
            # + one aggregate over members
            ("/dashboard/members/", ACCESS_QUERIES + 1, 'data-stat="members-total">4<'),
            # + the 30/30-day comparison and the 60-day daily series
            ("/dashboard/revenue/", ACCESS_QUERIES + 2, "150.50"),
            # + tiers annotated with their active members
            ("/dashboard/tiers/", ACCESS_QUERIES + 1, "<svg"),
            # + newest reviews joined with product and member
            ("/dashboard/reviews/", ACCESS_QUERIES + 1, "Superb stitching"),
        ],
    )
    def test_each_card_is_a_partial_for_htmx_with_pinned_queries(
        self, shop, merch_client, django_assert_num_queries, url, queries, expected
    ):
        with django_assert_num_queries(queries):
            response = merch_client.get(url, **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert expected in html
        assert "<html" not in html
        assert "HX-Request" in response["Vary"]

    @pytest.mark.parametrize(
        "url", ["/dashboard/members/", "/dashboard/revenue/", "/dashboard/tiers/", "/dashboard/reviews/"]
    )
    def test_each_card_opened_directly_is_a_full_page(self, shop, merch_client, url):
        html = merch_client.get(url).content.decode()
        assert "<html" in html
        assert 'class="nav"' in html
        assert 'class="card card-wide"' in html

    def test_a_history_restore_gets_the_full_page(self, shop, merch_client):
        html = merch_client.get(
            "/dashboard/members/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
        ).content.decode()
        assert "<html" in html

    def test_revenue_card_shows_the_change_and_a_bar_per_day(self, shop, merch_client):
        html = merch_client.get("/dashboard/revenue/", **HTMX).content.decode()
        assert "+50.5%" in html  # revenue 150.50 against 100.00
        assert "+100.0%" in html  # orders 2 against 1
        assert html.count("<rect") == 60

    def test_empty_shop_says_so_instead_of_drawing_zeroes(self, merch_client):
        html = merch_client.get("/dashboard/revenue/", **HTMX).content.decode()
        assert "No orders that count towards revenue" in html
        assert "<svg" not in html

    def test_navigation_links_real_pages_and_disables_the_rest(self, merch_client):
        html = merch_client.get("/").content.decode()
        assert 'aria-current="page">Dashboard<' in html
        for item in NAV_ITEMS:
            if item.url_name:
                assert f'href="{reverse(item.url_name)}"' in html, item.label
            else:
                assert f'aria-disabled="true" title="Arrives with {item.arrives_with}' in html, item.label
                assert f">{item.label}</span>" in html
        assert "coming soon" not in html.lower()
