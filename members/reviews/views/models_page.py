"""The Models page: start and watch training runs, compare versions, promote / roll back; and the
member models (churn risk, spend forecast) with each version's backtest quality and baselines.

A running run's table row polls itself every 2 s (hx-trigger only while the run is live, so
polling stops by itself once the row comes back finished). Every write is a POST with CSRF.
"""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from members.models import MlTask, ModelVersion, ModelVersionKind, ModelVersionStatus, TrainingRun
from members.predictions.selectors.member_models import member_model_versions_recent
from members.predictions.views import backtest_section_context
from members.reviews.model_errors import TrainingError
from members.reviews.selectors.review_intelligence import (
    model_versions_recent,
    sentiment_agreement_by_class,
    topic_agreement_by_topic,
    training_runs_recent,
)
from members.reviews.services.model_versions import model_version_promote, model_version_rollback
from members.reviews.services.training import (
    trainable_tasks,
    training_run_cancel,
    training_run_create,
)
from members.task_queue import task_send_on_commit
from members.web.access import web_app_view
from members.web.permissions import web_action_view
from members.web.rendering import render_htmx


def default_budget_minutes() -> float | None:
    """10 minutes on a CPU worker (what a CPU shop can afford), no limit where a GPU is present."""
    from members.reviews.services.model_registry import DEFAULT_CPU_BUDGET_MINUTES
    from ml.device import pick_device

    return None if pick_device().type == "cuda" else DEFAULT_CPU_BUDGET_MINUTES


class TrainingRunForm(forms.Form):
    task = forms.ChoiceField(choices=())
    epochs = forms.FloatField(min_value=0.1, max_value=50, initial=3)
    max_train_samples = forms.IntegerField(min_value=10, required=False, label="Max training samples",
                                           help_text="Blank trains on every labelled review.")
    max_minutes = forms.FloatField(min_value=1, max_value=24 * 60, required=False, label="Time budget (minutes)",
                                   initial=default_budget_minutes,
                                   help_text="The run stops in time and keeps what it learnt. Blank: no limit (a GPU).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].choices = [(value, label) for value, label in MlTask.choices if value in trainable_tasks()]


def _page_context(*, form: TrainingRunForm | None = None, task: str = MlTask.SENTIMENT) -> dict:
    versions = model_versions_recent(task=task)
    active = next((v for v in versions if v.status == ModelVersionStatus.ACTIVE), None)
    # The compare form starts on two different versions: the served one against the newest other.
    compare_a = active or (versions[0] if versions else None)
    compare_b = next((v for v in versions if v != compare_a), None)
    return {
        "compare_a": compare_a,
        "compare_b": compare_b,
        "form": form or TrainingRunForm(initial={"task": task}),
        "runs": training_runs_recent(),
        "versions": versions,
        "active": active,
        "can_roll_back": active is not None and any(
            v.status == ModelVersionStatus.RETIRED and v.activated_at for v in versions
        ),
        "sentiment_agreement": sentiment_agreement_by_class(),
        "topic_agreement": topic_agreement_by_topic(),
        "task": task,
        "language_notice": language_notice(active),
    }


def _topic_context(*, message: str = "") -> dict:
    """The topic models section: versions, what serves, labels so far (members/reviews/services/topic_models.py)."""
    from members.reviews.services.topic_models import topic_labels_status

    versions = model_versions_recent(task=MlTask.TOPICS)
    return {"topic_versions": versions, "topic_labels": topic_labels_status(), "topic_message": message,
            "topic_active": next((v for v in versions if v.status == ModelVersionStatus.ACTIVE), None)}


# ml.language's codes in words, for "your Chinese reviews".
LANGUAGE_NAMES = {"zh": _lazy("Chinese"), "en": _lazy("English")}


def language_notice(version: ModelVersion | None) -> str:
    """One sentence when the served version is a baseline because the base model cannot read the
    reviews, from the language figures stored in its metrics (ml.language); "" otherwise."""
    language = (version.metrics or {}).get("language") if version is not None else None
    if version is None or version.kind != ModelVersionKind.BASELINE or not language or language.get("readable", True):
        return ""
    unreadable = language.get("unreadable_languages") or [language.get("dominant")]
    code = language["dominant"] if language.get("dominant") in unreadable else unreadable[0]
    share = (language.get("unk", {}).get(code) or {}).get("unk_share", language.get("overall_unk_share", 0.0))
    name = LANGUAGE_NAMES.get(code)
    features = (_("character n-gram") if version.metrics.get("text_features") == "char_wb"
                else _("TF-IDF + LR"))
    values = {"share": f"{share:.0%}", "language": name, "features": features}
    if name is None:
        return _("The base model cannot read %(share)s of the tokens of your reviews; "
                 "the %(features)s baseline is served.") % values
    return _("The base model cannot read %(share)s of the tokens of your %(language)s reviews; "
             "the %(features)s baseline is served.") % values


@web_app_view
@require_GET
def models_page(request: HttpRequest) -> HttpResponse:
    context = {**_page_context(), **_topic_context(), "member_models": member_model_versions_recent(),
               **backtest_section_context(), "page_title": _("Models")}
    return render(request, "web/models.html", context)


@web_action_view("training_run_start")
@require_POST
def training_run_start(request: HttpRequest) -> HttpResponse:
    """Start a run; an htmx request gets the runs table back (or the form with its errors)."""
    form = TrainingRunForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            training_run_create(task=data["task"], created_by=request.user, parameters={
                "epochs": data["epochs"], "max_train_samples": data["max_train_samples"],
                "max_minutes": data["max_minutes"],
            })
        except TrainingError as exc:
            form.add_error(None, str(exc))
    if not request.htmx:
        return redirect("web:models")
    # Errors come back in the re-rendered partial with a 200, so htmx swaps it in (a 4xx would not).
    fresh = form if form.errors else None
    return render(request, "web/partials/model_runs_section.html", _page_context(form=fresh))


@web_app_view
@require_GET
def training_run_row(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run's table row: the polling target while it trains."""
    run = get_object_or_404(TrainingRun.objects.select_related("created_by"), pk=run_id)
    return render_htmx(request, partial_template="web/partials/model_run_row.html",
                       page_template="web/model_run_page.html", context={"run": run},
                       page_title=f"Training run #{run.pk}")


@web_action_view("training_run_cancel")
@require_POST
def training_run_cancel_view(request: HttpRequest, run_id: int) -> HttpResponse:
    get_object_or_404(TrainingRun, pk=run_id)
    run = training_run_cancel(run_id=run_id)
    if not request.htmx:
        return redirect("web:models")
    return render(request, "web/partials/model_run_row.html", {"run": run})


@web_action_view("model_version_activate")
@require_POST
def model_version_promote_view(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=version_id)
    model_version_promote(version_id=version.pk)
    return _versions_response(request, task=version.task)


@web_action_view("model_version_activate")
@require_POST
def model_rollback_view(request: HttpRequest, task: str) -> HttpResponse:
    if task not in MlTask.values:
        raise Http404("Unknown task")
    error = ""
    try:
        model_version_rollback(task=task)
    except TrainingError as exc:
        error = str(exc)
    return _versions_response(request, task=task, error=error)


@web_action_view("training_run_start")
@require_POST
def topic_model_train_view(request: HttpRequest) -> HttpResponse:
    """Queue members.reviews.topics_train on the worker (seconds of TF-IDF, then relabelling)."""
    task_send_on_commit("members.reviews.topics_train")
    if not request.htmx:
        return redirect("web:models")
    return render(request, "web/partials/topic_model_versions.html", _topic_context(
        message=_("A topic model is training on the worker: reload this page in a minute to see how it compares.")))


def _versions_response(request: HttpRequest, *, task: str, error: str = "") -> HttpResponse:
    if not request.htmx:
        return redirect("web:models")
    if task == MlTask.TOPICS:
        return render(request, "web/partials/topic_model_versions.html", _topic_context(message=error))
    return render(request, "web/partials/model_versions.html", {**_page_context(task=task), "error": error})


@web_app_view
@require_GET
def model_compare(request: HttpRequest) -> HttpResponse:
    """Two versions side by side: metrics per class and confusion matrices (?a=<id>&b=<id>)."""
    ids = [request.GET.get("a", ""), request.GET.get("b", "")]
    if not all(value.isdigit() for value in ids):
        versions = []
    else:
        found = ModelVersion.objects.in_bulk([int(value) for value in ids])
        versions = [found[int(value)] for value in ids if int(value) in found]
    return render_htmx(request, partial_template="web/partials/model_compare.html",
                       context={"compared": versions}, page_title=_("Compare models"))
