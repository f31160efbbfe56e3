"""Recommendations page: find a member (search as you type) and see their recommendations with
reasons; pick a product or a category and see the members most likely to buy it.

Each fragment is its own view, so search results, a member's list and a buyers list can be
swapped independently; every fragment also renders as a full page on a direct load.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from members.models import Member, Product
from members.recs.selectors import (
    likely_buyers_for_category,
    likely_buyers_for_product,
    member_recommendations,
    member_search,
    product_categories,
    product_search,
)
from members.web.access import web_app_view
from members.web.rendering import render_htmx

MEMBER_TEMPLATE = "web/recommendations_member.html"
BUYERS_TEMPLATE = "web/recommendations_buyers.html"


def _member_context(external_id: str) -> dict:
    member = get_object_or_404(Member.objects.select_related("tier"), external_id=external_id)
    return {"member": member, "recommendations": list(member_recommendations(member=member))}


def _buyers_context(*, sku: str, category: str) -> dict:
    if "\x00" in sku + category:  # no stored sku or category holds a NUL; Postgres cannot compare one
        raise Http404("No such product or category.")
    if sku:
        product = get_object_or_404(Product, sku=sku)
        return {"product": product, "buyers": likely_buyers_for_product(product=product)}
    if category:
        return {"category": category, "buyers": likely_buyers_for_category(category=category)}
    return {}


@web_app_view
def recommendations_page(request: HttpRequest) -> HttpResponse:
    """The page; ?member=, ?product= (sku) and ?category= pre-open a panel (state lives in the URL)."""
    query = request.GET.get("q", "")
    external_id = request.GET.get("member", "").strip()
    context = {
        "page_title": "Recommendations",
        "q": query,
        "members_found": member_search(query=query),
        "categories": product_categories(),
        **(_member_context(external_id) if external_id else {}),
        **_buyers_context(sku=request.GET.get("product", "").strip(), category=request.GET.get("category", "").strip()),
    }
    return render(request, "web/recommendations.html", context)


@web_app_view
def recommendation_member_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    return render_htmx(request, partial_template="web/recommendations_member_results.html",
                       context={"q": query, "members_found": member_search(query=query)}, page_title="Find a member")


@web_app_view
def recommendation_member(request: HttpRequest, external_id: str) -> HttpResponse:
    context = _member_context(external_id)
    return render_htmx(request, partial_template=MEMBER_TEMPLATE, context=context,
                       page_title=f"Recommendations for {context['member']}")


@web_app_view
def recommendation_product_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("product_q", "")
    return render_htmx(request, partial_template="web/recommendations_product_results.html",
                       context={"product_q": query, "products_found": product_search(query=query)},
                       page_title="Find a product")


@web_app_view
def recommendation_buyers(request: HttpRequest) -> HttpResponse:
    """Likely buyers of ?product=<sku> or of ?category=<name>."""
    context = _buyers_context(sku=request.GET.get("product", "").strip(), category=request.GET.get("category", "").strip())
    return render_htmx(request, partial_template=BUYERS_TEMPLATE, context=context, page_title="Likely buyers")
