"""Reviews list: filters live in the URL (hx-push-url), pages come from a page_size + 1 fetch."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import push_url

from members.reviews.selectors.reviews import review_list_page
from members.web.access import web_app_view
from members.web.forms import ReviewFilterForm
from members.web.rendering import render_htmx

REVIEWS_PAGE_SIZE = 25


@web_app_view
def review_list(request: HttpRequest) -> HttpResponse:
    """Full page on direct load; the results partial for htmx. Invalid filters re-render with errors."""
    form = ReviewFilterForm(request.GET)
    context = {"form": form, "page": None, "show_model_columns": False}
    if form.is_valid():
        data = form.cleaned_data
        page = review_list_page(
            page=data["page"] or 1,
            page_size=REVIEWS_PAGE_SIZE,
            rating=data["rating"],
            product_query=data["q"],
            created_from=data["date_from"],
            created_to=data["date_to"],
        )
        params = form.filter_params()
        context.update(
            page=page,
            # The sentiment/topics columns appear once the review models have scored something shown.
            show_model_columns=any(review.sentiment or review.topics for review in page.reviews),
            previous_url=_url(params, page.page - 1) if page.has_previous else None,
            next_url=_url(params, page.page + 1) if page.has_next else None,
            canonical_url=_url(params, page.page),
        )
    response = render_htmx(
        request,
        partial_template="web/partials/review_results.html",
        page_template="web/reviews.html",
        context=context,
        page_title=_("Reviews"),
    )
    if request.htmx and form.is_valid():
        # The form sends its empty fields too; push the tidy URL so bookmarks stay readable.
        push_url(response, context["canonical_url"])
    return response


def _url(params: dict[str, str], page: int) -> str:
    query = {**params, **({"page": str(page)} if page > 1 else {})}
    base = reverse("web:reviews")
    return f"{base}?{urlencode(query)}" if query else base
