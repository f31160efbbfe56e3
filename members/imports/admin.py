"""Admin for background CSV imports: watch them, read their errors, run a file again.

Jobs are created by code (import_job_create) and recorded by the worker, so every field here is
read-only; "Run again" queues a new job for the same file rather than rewriting history.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from members.admin.base import ScalableAdmin
from members.imports.services.import_jobs import import_job_run_again
from members.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ScalableAdmin):
    list_display = (
        "id",
        "kind",
        "file_name",
        "status",
        "attempts",
        "rows_total",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "created_at",
        "finished_at",
    )
    list_display_links = ("id", "kind")
    list_filter = ("status", "kind")
    search_fields = ("path",)
    list_select_related = ("created_by",)
    actions = ("run_again",)
    fieldsets = (
        (None, {"fields": ("kind", "path", "encoding", "encoding_used", "status", "attempts", "created_by")}),
        (
            "Result",
            {"fields": ("rows_total", "created", "updated", "unchanged", "rejected", "error", "error_list")},
        ),
        ("Times", {"fields": ("created_at", "started_at", "finished_at")}),
    )
    readonly_fields = (
        "kind",
        "path",
        "encoding",
        "encoding_used",
        "status",
        "attempts",
        "created_by",
        "rows_total",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "error",
        "error_list",
        "created_at",
        "started_at",
        "finished_at",
    )

    @admin.display(description="File", ordering="path")
    def file_name(self, job: ImportJob) -> str:
        return job.path.rsplit("/", 1)[-1]

    @admin.display(description="Rejected rows")
    def error_list(self, job: ImportJob) -> str:
        if not job.errors:
            return "None"
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td></tr>", ((e.get("line"), e.get("reason")) for e in job.errors)
        )
        shown = format_html(
            "<table><thead><tr><th>Line</th><th>Reason</th></tr></thead><tbody>{}</tbody></table>", rows
        )
        if job.rejected > len(job.errors):
            return format_html(
                "{}<p>The first {} of {} rejected rows.</p>", shown, len(job.errors), job.rejected
            )
        return shown

    @admin.action(description="Run again (queue a new job for the same file)", permissions=["run_again"])
    def run_again(self, request: HttpRequest, queryset: QuerySet[ImportJob]) -> None:
        new_jobs = import_job_run_again(
            job_ids=list(queryset.values_list("pk", flat=True)), created_by=request.user
        )
        self.message_user(
            request,
            ngettext("Queued %(count)d import job.", "Queued %(count)d import jobs.", len(new_jobs))
            % {"count": len(new_jobs)},
            messages.SUCCESS,
        )

    def has_run_again_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("members.add_importjob")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Jobs are created in code by import_job_create (and by "Run again"), never typed in by hand.
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False
