"""One member's page: scores (segment, churn risk and its reasons, forecast, next-tier progress)
and a timeline of orders, reviews, tier changes and segment changes."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from members.core.selectors.member_detail import member_get, member_intelligence
from members.models import Member
from members.web.access import web_app_view


@web_app_view
def member_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    try:
        member = member_get(external_id=external_id)
    except Member.DoesNotExist:
        raise Http404("No such member.") from None
    intel = member_intelligence(member=member)
    return render(
        request,
        "web/member_detail.html",
        {"intel": intel, "member": member, "page_title": member.name or member.external_id},
    )
