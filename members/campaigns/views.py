"""Campaign queue (proposed campaigns with rationale and predicted effect: approve, reject with a
reason, edit offer/budget/audience inline, bulk actions) and the campaign detail page."""

from decimal import Decimal

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import push_url

from members.campaigns.selectors import campaign_detail, campaign_get, campaign_queue
from members.campaigns.services.campaigns import (
    CampaignError,
    CampaignSpec,
    campaign_approve,
    campaign_create,
    campaign_decide_many,
    campaign_reject,
    campaign_update_proposal,
)
from members.models import Campaign, CampaignOfferKind, CampaignStatus, CampaignTargetKind, Segment, Tier
from members.web.access import web_app_view
from members.web.permissions import web_action_view
from members.web.rendering import render_htmx

QUEUE_LIMIT = 100
RESULTS_TEMPLATE = "web/campaigns_results.html"
ROW_TEMPLATE = "web/campaigns_row.html"
EDIT_ROW_TEMPLATE = "web/campaigns_edit_row.html"
TABS = {
    "proposed": (gettext_lazy("Proposed"), (CampaignStatus.PROPOSED,)),
    "active": (gettext_lazy("Approved and running"),
               (CampaignStatus.APPROVED, CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)),
    "completed": (gettext_lazy("Completed"), (CampaignStatus.COMPLETED,)),
    "rejected": (gettext_lazy("Rejected"), (CampaignStatus.REJECTED,)),
}


class CampaignEditForm(forms.Form):
    offer_value = forms.DecimalField(min_value=Decimal(0), max_digits=10, decimal_places=2,
                                     label=gettext_lazy("Offer value"),
                                     help_text=gettext_lazy(
                                         "Percent for a discount, points for bonus points."))
    budget = forms.DecimalField(min_value=Decimal(0), max_digits=14, decimal_places=2, required=False,
                                label=gettext_lazy("Budget"))
    target_kind = forms.ChoiceField(choices=CampaignTargetKind.choices, label=gettext_lazy("Audience"))
    target_segment = forms.ModelChoiceField(queryset=Segment.objects.order_by("name"), required=False,
                                            label=gettext_lazy("Target segment"))
    target_tier = forms.ModelChoiceField(queryset=Tier.objects.order_by("rank"), required=False,
                                         label=gettext_lazy("Target tier"))


class CampaignNewForm(CampaignEditForm):
    """A person's proposal: everything the engine would fill in, plus a name and dates."""

    name = forms.CharField(max_length=200, label=gettext_lazy("Name"))
    offer_kind = forms.ChoiceField(choices=CampaignOfferKind.choices, label=gettext_lazy("Offer"))
    focus_category = forms.CharField(max_length=100, required=False, label=gettext_lazy("Focus category"))
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}),
                                label=gettext_lazy("Starts on"))
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}),
                              label=gettext_lazy("Ends on (inclusive)"))
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                label=gettext_lazy("Rationale"),
                                help_text=gettext_lazy("Why you expect an effect; shown to whoever decides."))
    field_order = ("name", "target_kind", "target_segment", "target_tier", "offer_kind", "offer_value",
                   "focus_category", "budget", "starts_on", "ends_on", "rationale")


class CampaignDecisionForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any integer id: the service refuses the ones that cannot move, with a reason.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()


def _tab(value: str | None) -> str:
    return value if value in TABS else "proposed"


def _results_context(tab: str) -> dict:
    label, statuses = TABS[tab]
    return {"campaigns": campaign_queue(statuses=statuses, limit=QUEUE_LIMIT), "tab": tab, "tab_label": label,
            "tabs": [(key, name) for key, (name, _) in TABS.items()], "limit": QUEUE_LIMIT}


@web_app_view
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The queue: a full page on direct load, the results partial for htmx (tabs)."""
    tab = _tab(request.GET.get("tab"))
    response = render_htmx(request, partial_template=RESULTS_TEMPLATE, page_template="web/campaigns.html",
                           context=_results_context(tab), page_title=_("Campaigns"))
    if request.htmx:
        push_url(response, _url(tab))
    return response


def _row(request: HttpRequest, campaign_id: int, error: str = "") -> HttpResponse:
    try:
        campaign = campaign_get(campaign_id=campaign_id)
    except Campaign.DoesNotExist:
        return HttpResponse("No such campaign.", status=404)
    return render(request, ROW_TEMPLATE, {"campaign": campaign, "row_error": error})


@web_app_view
def campaign_row(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """One row of the queue (cancelling an inline edit swaps it back in)."""
    return _row(request, campaign_id)


@web_action_view("campaign_decide")
@require_POST
def campaign_decide(request: HttpRequest, campaign_id: int, action: str) -> HttpResponse:
    """Approve or reject one campaign; answers with its re-rendered row (or the refusal in it)."""
    error = ""
    try:
        if action == "approve":
            campaign_approve(campaign_id=campaign_id, approved_by=request.user)
        else:
            reason = request.POST.get("reason") or request.headers.get("HX-Prompt", "")
            campaign_reject(campaign_id=campaign_id, rejected_by=request.user, reason=reason)
    except CampaignError as exc:
        error = str(exc)
    except Campaign.DoesNotExist:
        return HttpResponse("No such campaign.", status=404)
    return _row(request, campaign_id, error)


@web_action_view("campaign_decide")
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """GET: the row as an inline form. POST: save offer value / budget / audience and answer with the
    row (re-predicted), or the form row again with its errors."""
    try:
        campaign = campaign_get(campaign_id=campaign_id)
    except Campaign.DoesNotExist:
        return HttpResponse("No such campaign.", status=404)
    if request.method == "GET":
        form = CampaignEditForm(initial={
            "offer_value": campaign.offer_value, "budget": campaign.budget, "target_kind": campaign.target_kind,
            "target_segment": campaign.target_segment_id, "target_tier": campaign.target_tier_id})
        return render(request, EDIT_ROW_TEMPLATE, {"campaign": campaign, "form": form})
    form = CampaignEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            campaign_update_proposal(
                campaign_id=campaign_id, offer_value=data["offer_value"], budget=data["budget"],
                clear_budget=data["budget"] is None, target_kind=data["target_kind"],
                target_segment_id=data["target_segment"].pk if data["target_segment"] else None,
                target_tier_id=data["target_tier"].pk if data["target_tier"] else None,
            )
            return _row(request, campaign_id)
        except CampaignError as exc:
            form.add_error(None, str(exc))
    return render(request, EDIT_ROW_TEMPLATE, {"campaign": campaign, "form": form})


@web_action_view("campaign_decide")
@require_POST
def campaign_decide_many_view(request: HttpRequest) -> HttpResponse:
    """Approve or reject the selected campaigns; answers with the results partial and a summary."""
    decision = CampaignDecisionForm(request.POST)
    tab = _tab(request.POST.get("tab"))
    message, refused = _("Select at least one campaign first."), []
    if decision.is_valid():
        ids, action = decision.cleaned_data["ids"], decision.cleaned_data["action"]
        result = campaign_decide_many(campaign_ids=ids, action=action, user=request.user,
                                      reason=decision.cleaned_data["reason"])
        summary = (_("Approved %(decided)d of %(selected)d selected.") if action == "approve"
                   else _("Rejected %(decided)d of %(selected)d selected."))
        message = summary % {"decided": len(result.decided), "selected": len(ids)}
        refused = sorted(result.refused.items())
    context = _results_context(tab)
    context.update(bulk_message=message, bulk_refused=refused)
    return render(request, RESULTS_TEMPLATE, context)


@web_action_view("campaign_create")
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    """A person proposes a campaign; it joins the queue with its prediction, like the engine's."""
    form = CampaignNewForm(request.POST or None, initial={"offer_value": 0})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        spec = CampaignSpec(
            name=d["name"], target_kind=d["target_kind"], offer_kind=d["offer_kind"], offer_value=d["offer_value"],
            target_segment_id=d["target_segment"].pk if d["target_segment"] else None,
            target_tier_id=d["target_tier"].pk if d["target_tier"] else None,
            focus_category=d["focus_category"], budget=d["budget"], starts_on=d["starts_on"], ends_on=d["ends_on"],
            rationale=d["rationale"],
        )
        try:
            campaign_create(spec=spec, proposed_by_user=request.user)
            return redirect("web:campaigns")
        except CampaignError as exc:
            form.add_error(None, str(exc))
    return render(request, "web/campaign_new.html", {"form": form, "page_title": _("Propose a campaign")})


@web_app_view
def campaign_detail_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Audience size, sample members, recommended products, timeline, predicted vs measured."""
    try:
        detail = campaign_detail(campaign_id=campaign_id)
    except Campaign.DoesNotExist:
        return render(request, "web/campaign_missing.html", {"page_title": _("Campaign not found")}, status=404)
    return render(request, "web/campaign_detail.html", {"detail": detail, "campaign": detail.campaign,
                                                        "page_title": detail.campaign.name})


def _url(tab: str) -> str:
    base = reverse("web:campaigns")
    return base if tab == "proposed" else f"{base}?tab={tab}"
