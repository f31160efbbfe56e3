"""The staff "System" page (/admin/system/): readiness checks, queue depths and workers, the last
nightly runs with their durations, and failed jobs of every kind with a Retry button.

Wired in memberhub/urls.py through admin.site.admin_view (staff only). Reads come from
members/operations/selectors.py and memberhub/observability/health.py; Retry calls
members/operations/services/failed_jobs.py and needs the change permission on the job's model.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from memberhub.observability.health import readiness
from members.operations.selectors import broker_state, failed_jobs, queue_names, recent_scheduled_runs
from members.operations.services.failed_jobs import RETRY_PERMISSIONS, FailedJobError, failed_job_retry


def system_page(request):
    lengths, live = broker_state()
    queues = [
        {"name": name, "waiting": lengths.get(name), "workers": sorted(live.get(name, []))}
        for name in queue_names()
    ]
    checks = readiness()
    context = {
        **admin.site.each_context(request),
        "title": "System",
        "checks": checks,
        "ready": all(check.status != "failing" for check in checks),
        "queues": queues,
        "broker_known": bool(lengths),
        "nightly_runs": recent_scheduled_runs(),
        "failed": failed_jobs(),
        "can_retry": {kind: request.user.has_perm(perm) for kind, perm in RETRY_PERMISSIONS.items()},
    }
    return TemplateResponse(request, "admin/system.html", context)


@require_POST
def system_retry(request, kind: str, job_id: int):
    if kind not in RETRY_PERMISSIONS:
        raise PermissionDenied
    if not request.user.has_perm(RETRY_PERMISSIONS[kind]):
        raise PermissionDenied
    try:
        messages.success(request, failed_job_retry(kind=kind, job_id=job_id, user=request.user))
    except FailedJobError as exc:
        messages.error(request, str(exc))
    return redirect("admin-system")
