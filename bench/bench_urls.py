"""The product's URLs plus /bench/bare-members/, the baseline bench/api_bench.py compares the API with.

The bare view returns the same rows and fields as GET /api/v1/members/ (newest first by id, the
MemberSerializer fields), through the same middleware, but with no DRF: no authentication, scopes,
throttle, serializer or cursor pagination. Only bench.bench_settings routes here.
"""

from django.http import JsonResponse
from django.urls import include, path

from members.models import Member

# MemberSerializer's fields; "tier" is the tier code (read through the join, as select_related does).
MEMBER_FIELDS = ("external_id", "email", "name", "joined_at", "country", "city", "birth_year", "gender",
                 "status", "marketing_consent", "created_at", "updated_at")
MAX_PAGE_SIZE = 500  # the API's cap, so the two answer the same page_size the same way


def bare_members(request):
    try:
        page_size = min(max(int(request.GET.get("page_size", 100)), 1), MAX_PAGE_SIZE)
    except ValueError:
        page_size = 100
    rows = list(Member.objects.order_by("-id").values(*MEMBER_FIELDS, "tier__code")[:page_size])
    for row in rows:
        row["tier"] = row.pop("tier__code")
    return JsonResponse({"results": rows})


urlpatterns = [
    path("bench/bare-members/", bare_members, name="bench-bare-members"),
    path("", include("memberhub.urls")),
]
