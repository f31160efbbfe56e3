"""Member changelist actions: change tier (with a reason, through the audit trail) and CSV export."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from members.core.selectors.member_export import member_export_csv
from members.models import Tier
from members.tiers.services.tier_changes import MANUAL_CHANGE_BATCH_SIZE, tier_change_apply_manual_many

# Members listed by name on the confirmation page; the rest are summarised by the count.
PREVIEW_MEMBERS = 20


class MemberTierChangeForm(forms.Form):
    to_tier = forms.ModelChoiceField(queryset=Tier.objects.order_by("rank"), label="New tier", empty_label=None)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        max_length=2000,
        help_text="Required. Recorded on every moved member's tier history.",
    )


@admin.action(description="Change tier of selected members…", permissions=["change_tier"])
def change_tier(modeladmin, request, queryset):
    """Two steps: the first POST (from the changelist) shows the form; the second applies it.

    The confirmation page re-posts the same action, selection (and "select all" flag) to the same
    changelist URL, so the filters that defined the selection still apply.
    """
    if "apply" in request.POST:
        form = MemberTierChangeForm(request.POST)
        if form.is_valid():
            to_tier = form.cleaned_data["to_tier"]
            moved = tier_change_apply_manual_many(
                member_ids=queryset.values_list("pk", flat=True).iterator(chunk_size=MANUAL_CHANGE_BATCH_SIZE),
                to_tier=to_tier,
                reason=form.cleaned_data["reason"],
                decided_by=request.user,
            )
            modeladmin.message_user(
                request, f"Moved {moved} member(s) to {to_tier.name}; members already there were left as they were.",
                messages.SUCCESS,
            )
            return None  # back to the changelist
    else:
        form = MemberTierChangeForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Change tier",
        "opts": modeladmin.model._meta,
        "form": form,
        "selected_count": queryset.count(),
        "preview": list(queryset.select_related("tier")[:PREVIEW_MEMBERS]),
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/members/member/change_tier.html", context)


@admin.action(description="Export selected members to CSV", permissions=["view"])
def export_csv(modeladmin, request, queryset):
    """Streams the file: rows leave the database cursor as they are written, at any selection size."""
    response = StreamingHttpResponse(member_export_csv(members=queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="members-{stamp}.csv"'
    return response
