"""Dashboard: a page of cards, each card its own partial loaded by HTMX (and a page when opened)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from members.dashboard.selectors import (
    COMPARISON_WINDOW_DAYS,
    DAILY_REVENUE_DAYS,
    dashboard_daily_revenue,
    dashboard_member_counts,
    dashboard_newest_reviews,
    dashboard_revenue_comparison,
    dashboard_tier_distribution,
)
from members.web.access import web_app_view
from members.web.rendering import render_htmx

NEWEST_REVIEWS_LIMIT = 6


@web_app_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """The card grid; the cards fill themselves in through the partial views below."""
    return render(request, "web/dashboard.html", {"page_title": _("Dashboard")})


@web_app_view
def dashboard_members(request: HttpRequest) -> HttpResponse:
    return render_htmx(
        request,
        partial_template="web/partials/dashboard_members.html",
        context={"counts": dashboard_member_counts()},
        page_title=_("Members"),
    )


@web_app_view
def dashboard_revenue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    comparisons = dashboard_revenue_comparison(now=now)
    daily = dashboard_daily_revenue(now=now)
    return render_htmx(
        request,
        partial_template="web/partials/dashboard_revenue.html",
        context={
            "comparisons": comparisons,
            "daily": daily[0] if daily else None,
            "other_currencies": [series.currency for series in daily[1:]],
            "window_days": COMPARISON_WINDOW_DAYS,
            "chart_days": DAILY_REVENUE_DAYS,
        },
        page_title=_("Revenue"),
    )


@web_app_view
def dashboard_tiers(request: HttpRequest) -> HttpResponse:
    return render_htmx(
        request,
        partial_template="web/partials/dashboard_tiers.html",
        context={"tier_rows": [(share.name, share.members) for share in dashboard_tier_distribution()]},
        page_title=_("Tier distribution"),
    )


@web_app_view
def dashboard_reviews(request: HttpRequest) -> HttpResponse:
    return render_htmx(
        request,
        partial_template="web/partials/dashboard_reviews.html",
        context={"reviews": dashboard_newest_reviews(limit=NEWEST_REVIEWS_LIMIT)},
        page_title=_("Newest reviews"),
    )
