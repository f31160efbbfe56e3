"""Tier changes page: open proposals (filter by direction, target tier, source) and the history of
decided ones; approve or reject one (the row swaps itself) or many (the results re-render)."""

from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import push_url

from members.models import Tier, TierChange, TierChangeSource
from members.tiers.selectors.tier_pages import tier_change_get, tier_change_list_page
from members.tiers.services.tier_changes import (
    TierChangeError,
    tier_change_approve,
    tier_change_approve_many,
    tier_change_reject,
    tier_change_reject_many,
)
from members.web.access import web_app_view
from members.web.forms import page_field
from members.web.permissions import web_action_view
from members.web.rendering import render_htmx

TIER_CHANGES_PAGE_SIZE = 50
RESULTS_TEMPLATE = "web/tier_changes_results.html"
ROW_TEMPLATE = "web/tier_changes_row.html"


class TierChangeFilterForm(forms.Form):
    tab = forms.ChoiceField(
        choices=[("open", gettext_lazy("Open proposals")), ("history", gettext_lazy("History"))], required=False
    )
    direction = forms.ChoiceField(
        choices=[("", gettext_lazy("Up or down")), ("upgrade", gettext_lazy("Upgrades")),
                 ("downgrade", gettext_lazy("Downgrades"))],
        required=False,
    )
    to_tier = forms.ChoiceField(label=gettext_lazy("To tier"), required=False)
    source = forms.ChoiceField(
        choices=[("", gettext_lazy("Any source")), *TierChangeSource.choices], required=False
    )
    page = page_field()

    def __init__(self, *args, tier_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_tier"].choices = [("", _("Any tier")), *tier_choices]

    def filter_params(self) -> dict[str, str]:
        return {
            k: str(v)
            for k in ("tab", "direction", "to_tier", "source")
            if (v := self.cleaned_data.get(k)) and not (k == "tab" and v == "open")
        }


class TierDecisionForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any integer id: the service refuses the ones that are not open proposals, with a reason.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()


def _filter_form(data) -> TierChangeFilterForm:
    tiers = Tier.objects.order_by("rank").values_list("code", "name")
    return TierChangeFilterForm(data, tier_choices=list(tiers))


def _results_context(form: TierChangeFilterForm) -> dict:
    context = {"form": form, "page": None}
    if form.is_valid():
        data = form.cleaned_data
        page = tier_change_list_page(
            page=data["page"] or 1,
            page_size=TIER_CHANGES_PAGE_SIZE,
            history=data["tab"] == "history",
            direction=data["direction"],
            to_tier=data["to_tier"],
            source=data["source"],
        )
        params = form.filter_params()
        context.update(
            page=page,
            history=data["tab"] == "history",
            params=params,
            previous_url=_url(params, page.page - 1) if page.has_previous else None,
            next_url=_url(params, page.page + 1) if page.has_next else None,
            canonical_url=_url(params, page.page),
        )
    return context


@web_app_view
def tier_change_list(request: HttpRequest) -> HttpResponse:
    """Full page on direct load; the results partial for htmx (filters, tabs, pages)."""
    form = _filter_form(request.GET)
    context = _results_context(form)
    response = render_htmx(
        request,
        partial_template=RESULTS_TEMPLATE,
        page_template="web/tier_changes.html",
        context=context,
        page_title=_("Tier changes"),
    )
    if request.htmx and form.is_valid():
        push_url(response, context["canonical_url"])
    return response


@web_action_view("tier_change_decide")
@require_POST
def tier_change_decide(request: HttpRequest, tier_change_id: int, action: str) -> HttpResponse:
    """Approve or reject one proposal; answers with its re-rendered table row (hx-swap outerHTML on
    `closest tr`), carrying the refusal reason when the service refuses."""
    error = ""
    try:
        if action == "approve":
            tier_change_approve(tier_change_id=tier_change_id, decided_by=request.user)
        else:
            tier_change_reject(
                tier_change_id=tier_change_id,
                decided_by=request.user,
                reason=request.POST.get("reason") or request.headers.get("HX-Prompt", ""),
            )
    except TierChangeError as exc:
        error = str(exc)
    except TierChange.DoesNotExist:
        return HttpResponse("No such tier change.", status=404)
    try:
        change = tier_change_get(tier_change_id=tier_change_id)
    except TierChange.DoesNotExist:  # the service refuses an unknown id with a reason; it has no row
        return HttpResponse("No such tier change.", status=404)
    return render(request, ROW_TEMPLATE, {"change": change, "row_error": error, "history": False})


@web_action_view("tier_change_decide")
@require_POST
def tier_change_decide_many(request: HttpRequest) -> HttpResponse:
    """Approve or reject the selected proposals; answers with the results partial for the filters
    the page shows (sent along as hidden fields), and a summary of what was done or refused."""
    decision = TierDecisionForm(request.POST)
    form = _filter_form(request.POST)
    message, refused = _("Select at least one proposal first."), []
    if decision.is_valid():
        ids, reason = decision.cleaned_data["ids"], decision.cleaned_data["reason"]
        if decision.cleaned_data["action"] == "approve":
            result = tier_change_approve_many(tier_change_ids=ids, decided_by=request.user)
            summary = _("Approved %(decided)d of %(selected)d selected.")
        else:
            result = tier_change_reject_many(tier_change_ids=ids, decided_by=request.user, reason=reason)
            summary = _("Rejected %(decided)d of %(selected)d selected.")
        message = summary % {"decided": len(result.decided), "selected": len(ids)}
        refused = sorted(result.refused.items())
    context = _results_context(form)  # read after deciding: decided rows leave the open list
    context.update(bulk_message=message, bulk_refused=refused)
    return render(request, RESULTS_TEMPLATE, context)


def _url(params: dict[str, str], page: int) -> str:
    query = {**params, **({"page": str(page)} if page > 1 else {})}
    base = reverse("web:tier-changes")
    return f"{base}?{urlencode(query)}" if query else base
