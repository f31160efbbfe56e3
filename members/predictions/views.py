"""The Models page's backtest section: start a member backtest and watch it finish.

POST /models/backtests/ queues one (members.predictions.services.member_backtest.member_backtest_enqueue; a
Celery worker runs it) and answers with the section; GET /models/backtests/ is the section itself,
which polls every 5 s while a run is queued or running.
"""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from members.predictions.selectors.member_models import member_backtests_recent
from members.predictions.services.member_backtest import BacktestDateError, member_backtest_enqueue
from members.web.access import web_app_view
from members.web.permissions import web_action_view

SECTION_TEMPLATE = "web/partials/member_backtest_section.html"


class BacktestForm(forms.Form):
    as_of = forms.DateField(label="Cut-off date", help_text="Models see only the data before the end of this day.")
    horizon_days = forms.IntegerField(min_value=7, max_value=365, initial=90, label="Horizon (days)")


def backtest_section_context(*, form: BacktestForm | None = None) -> dict:
    rows = member_backtests_recent()
    return {"backtests": rows, "backtest_form": form or BacktestForm(initial={"horizon_days": 90}),
            "backtest_live": any(r.live for r in rows)}  # fmt: skip


@web_app_view
@require_GET
def member_backtest_section(request: HttpRequest) -> HttpResponse:
    if not request.htmx:
        return redirect("web:models")
    return render(request, SECTION_TEMPLATE, backtest_section_context())


@web_action_view("member_backtest_start")
@require_POST
def member_backtest_start(request: HttpRequest) -> HttpResponse:
    form = BacktestForm(request.POST)
    if form.is_valid():
        try:
            member_backtest_enqueue(as_of=form.cleaned_data["as_of"], horizon_days=form.cleaned_data["horizon_days"])
        except BacktestDateError as exc:
            form.add_error("as_of", str(exc))
    if not request.htmx:
        return redirect("web:models")
    return render(request, SECTION_TEMPLATE, backtest_section_context(form=form if form.errors else None))


__all__ = ["backtest_section_context", "member_backtest_section", "member_backtest_start"]
