"""Who may use the merchandiser web app, checked on every view by `web_app_view`."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from members.accounts.roles import MERCHANDISERS_GROUP, OPERATIONS_GROUP

# Operations staff see the merchandiser pages too: they answer the same questions about the shop.
WEB_APP_GROUPS = (MERCHANDISERS_GROUP, OPERATIONS_GROUP)


def user_can_use_web_app(*, user) -> bool:
    """Superusers, and members of the Merchandisers or Operations groups (one query unless superuser)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=WEB_APP_GROUPS).exists()


def web_app_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; signed-in users outside the groups get a 403 page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not user_can_use_web_app(user=request.user):
            return render(request, "web/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return login_required(wrapped, login_url="web:login")
