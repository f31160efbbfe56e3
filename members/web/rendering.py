"""One rule for every HTMX page: an htmx request gets the partial, a direct load the full page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

# A page that wraps any partial in the layout, for partials that have no page of their own.
PARTIAL_PAGE_TEMPLATE = "web/partial_page.html"


def render_htmx(
    request: HttpRequest,
    *,
    partial_template: str,
    context: dict,
    page_template: str = PARTIAL_PAGE_TEMPLATE,
    page_title: str,
) -> HttpResponse:
    """Render `partial_template` alone for htmx, or inside `page_template` (which includes it).

    A history-restore request (the browser lost its htmx snapshot on back/forward) needs the
    whole page, so it gets the full page too. The response varies on HX-Request, so a cache
    never serves a partial for a direct load.
    """
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(request, partial_template, context)
    else:
        page_context = {**context, "partial_template": partial_template, "page_title": page_title}
        response = render(request, page_template, page_context)
    patch_vary_headers(response, ("HX-Request",))
    return response
