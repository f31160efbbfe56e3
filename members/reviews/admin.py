"""Admin for review intelligence: training runs, model versions (promote / roll back), topics,
and people's topic corrections on the review page. Every state change goes through the services."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from members.models import ModelVersion, ReviewTopicLabel, Topic, TrainingRun
from members.reviews.model_errors import TrainingError
from members.reviews.services.model_versions import model_version_promote, model_version_rollback
from members.reviews.services.training import training_run_cancel


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "status", "step", "total_steps", "device", "created_by", "created_at", "finished_at")
    list_filter = ("task", "status")
    list_select_related = ("created_by",)
    readonly_fields = [f.name for f in TrainingRun._meta.fields]
    actions = ("cancel_runs",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs start from the Models page, which enqueues the worker task

    @admin.action(description="Cancel the selected runs", permissions=["change"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[TrainingRun]) -> None:
        for run_id in queryset.values_list("pk", flat=True):
            training_run_cancel(run_id=run_id)
        self.message_user(request, "Cancelled queued runs; running ones stop after their current batch.")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "task", "version", "kind", "status", "macro_f1", "activated_at", "created_at")
    list_filter = ("task", "kind", "status")
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    actions = ("promote", "roll_back")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from training runs

    @admin.display(description="test macro-F1")
    def macro_f1(self, obj: ModelVersion) -> str:
        value = obj.test_metrics().get("macro_f1")
        return "–" if value is None else f"{value:.3f}"

    @admin.action(description="Promote the selected version (make it active)", permissions=["change"])
    def promote(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to promote.", messages.ERROR)
            return
        version = model_version_promote(version_id=queryset.get().pk)
        self.message_user(request, f"{version.label} is now the active {version.task} model.")

    @admin.action(description="Roll back to the previously active version of this task", permissions=["change"])
    def roll_back(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for task in sorted(set(queryset.values_list("task", flat=True))):
            try:
                version = model_version_rollback(task=task)
            except TrainingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"{version.label} is active again.")


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "active")
    list_editable = ("active",)
    search_fields = ("name", "code")


class ReviewTopicLabelInline(admin.TabularInline):
    """People's topic verdicts on a review (shown on the review admin page)."""

    model = ReviewTopicLabel
    extra = 1
    fields = ("topic", "present", "labelled_by", "labelled_at")
    readonly_fields = ("labelled_by", "labelled_at")
