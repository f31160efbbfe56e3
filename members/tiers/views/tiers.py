"""Tier ladder page: thresholds and members per tier, the distribution over time, members about to
lose their tier, and the policy form with a what-if preview before saving a new version."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from members.models import Tier, TierQualifyOn, TierUpgradesMode
from members.tiers.selectors.tier_pages import tier_distribution_history, tier_ladder
from members.tiers.selectors.tiers import tier_members_about_to_lose, tier_policy_what_if
from members.tiers.services.tier_policy import TierPolicyError, tier_policy_active, tier_policy_save
from members.web.access import web_app_view
from members.web.permissions import web_action_view

HISTORY_MONTHS = 12
AT_RISK_HORIZON_DAYS = 30
AT_RISK_LIMIT = 20
POLICY_TEMPLATE = "web/tiers_policy.html"


class TierPolicyForm(forms.Form):
    qualifying_window_days = forms.IntegerField(
        label=gettext_lazy("Qualifying window (days)"), min_value=1, max_value=3650
    )
    downgrade_grace_days = forms.IntegerField(
        label=gettext_lazy("Grace before a downgrade (days)"), min_value=0, max_value=3650
    )
    upgrades_mode = forms.ChoiceField(label=gettext_lazy("Upgrades"), choices=TierUpgradesMode.choices)
    qualify_on = forms.ChoiceField(label=gettext_lazy("Qualify on"), choices=TierQualifyOn.choices)
    note = forms.CharField(label=gettext_lazy("What changed and why"), required=False, max_length=500)

    def __init__(self, *args, tiers: list[Tier], **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = tiers
        for tier in tiers:
            self.fields[f"min_spend_{tier.code}"] = forms.DecimalField(
                label=_("%(tier)s minimum spend") % {"tier": tier.name},
                min_value=0,
                max_digits=12,
                decimal_places=2,
                initial=tier.min_spend,
            )
            self.fields[f"min_orders_{tier.code}"] = forms.IntegerField(
                label=_("%(tier)s minimum orders") % {"tier": tier.name}, min_value=0, initial=tier.min_orders
            )

    def tier_rows(self):
        return [
            (tier, self[f"min_spend_{tier.code}"], self[f"min_orders_{tier.code}"]) for tier in self.tiers
        ]

    def thresholds(self) -> dict[str, dict]:
        return {
            t.code: {
                "min_spend": self.cleaned_data[f"min_spend_{t.code}"],
                "min_orders": self.cleaned_data[f"min_orders_{t.code}"],
            }
            for t in self.tiers
        }


def _policy_form(data=None) -> TierPolicyForm:
    policy = tier_policy_active()
    initial = {
        name: getattr(policy, name)
        for name in ("qualifying_window_days", "downgrade_grace_days", "upgrades_mode", "qualify_on")
    }
    return TierPolicyForm(data, initial=initial, tiers=list(Tier.objects.order_by("rank")))


@web_app_view
def tier_ladder_page(request: HttpRequest) -> HttpResponse:
    form = _policy_form()
    policy = tier_policy_active()
    today = timezone.localdate()
    return render(
        request,
        "web/tiers.html",
        {
            "page_title": _("Tier ladder"),
            "policy": policy,
            "ladder": tier_ladder(),
            "history": tier_distribution_history(months=HISTORY_MONTHS, today=today),
            "history_months": HISTORY_MONTHS,
            "at_risk": tier_members_about_to_lose(
                as_of=today,
                horizon_days=AT_RISK_HORIZON_DAYS,
                window_days=policy.qualifying_window_days,
                qualify_on=policy.qualify_on,
                limit=AT_RISK_LIMIT,
            ),
            "at_risk_days": AT_RISK_HORIZON_DAYS,
            "form": form,
        },
    )


@web_app_view
@require_POST
def tier_policy_preview(request: HttpRequest) -> HttpResponse:
    """The what-if: per-tier moves under the submitted thresholds; writes nothing."""
    form = _policy_form(request.POST)
    context = {"form": form, "preview": None}
    if form.is_valid():
        data = form.cleaned_data
        context["preview"] = tier_policy_what_if(
            thresholds=form.thresholds(),
            as_of=timezone.localdate(),
            window_days=data["qualifying_window_days"],
            qualify_on=data["qualify_on"],
        )
    return render(request, POLICY_TEMPLATE, context)


@web_action_view("tier_policy_save")
@require_POST
def tier_policy_save_view(request: HttpRequest) -> HttpResponse:
    """Save a new policy version; its evaluation (proposals only) is queued after commit."""
    form = _policy_form(request.POST)
    context = {"form": form, "preview": None}
    if form.is_valid():
        data = form.cleaned_data
        try:
            policy = tier_policy_save(
                qualifying_window_days=data["qualifying_window_days"],
                downgrade_grace_days=data["downgrade_grace_days"],
                upgrades_mode=data["upgrades_mode"],
                qualify_on=data["qualify_on"],
                thresholds=form.thresholds(),
                created_by=request.user,
                note=data["note"],
            )
        except TierPolicyError as exc:
            form.add_error(None, str(exc))
        else:
            context.update(form=_policy_form(), saved=policy)
    return render(request, POLICY_TEMPLATE, context)
