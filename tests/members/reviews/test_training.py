"""Training runs end to end through the Celery task (eager), with the tiny base model."""

import pytest

from members.models import ModelVersion, ModelVersionKind, ModelVersionStatus, TrainingRun, TrainingRunStatus
from members.reviews.model_errors import TrainingError
from members.reviews.services import model_registry, training
from members.reviews.services.model_versions import model_version_promote, model_version_rollback
from members.reviews.services.training import (
    thin_history,
    training_run_cancel,
    training_run_create,
)
from tests.members.reviews.conftest import FAST_RUN

pytestmark = pytest.mark.django_db


def start_run(django_capture_on_commit_callbacks, **parameters) -> TrainingRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = training_run_create(task="sentiment", parameters={**FAST_RUN, **parameters})
    run.refresh_from_db()
    return run


def test_first_run_records_the_finetune_with_metrics_progress_and_a_serving_decision(
    reviews, django_capture_on_commit_callbacks
):
    run = start_run(django_capture_on_commit_callbacks)

    assert run.status == TrainingRunStatus.SUCCEEDED, run.error
    finetuned = ModelVersion.objects.get(run=run, kind=ModelVersionKind.FINETUNED)
    assert (finetuned.task, finetuned.version) == ("sentiment", 1)
    assert (finetuned.metrics["test"]["finetuned"]["macro_f1"] >= 0) and "tfidf_logreg" in finetuned.metrics["test"]
    decision = finetuned.metrics["decision"]
    assert decision["served"] in ("challenger", "baseline") and decision["vs_baseline"]["n"] == 16
    assert "test_predictions" not in finetuned.metrics  # bulky row-level data stays in the artifact
    # whichever clearly won is active: exactly one version serves
    assert ModelVersion.objects.filter(status=ModelVersionStatus.ACTIVE).count() == 1
    assert run.dataset_sizes["train_rows"] + run.dataset_sizes["validation_rows"] + run.dataset_sizes["test_rows"] == 80
    assert run.step == run.total_steps > 0
    assert any("loss" in point for point in run.loss_history)
    assert run.started_at and run.finished_at and run.device == "cpu"


def test_the_baseline_beats_a_deliberately_weak_finetune_and_is_the_one_served(
    reviews, django_capture_on_commit_callbacks
):
    # one epoch at a learning rate too small to learn anything, and no stacked TF-IDF head to lean on
    run = start_run(django_capture_on_commit_callbacks, epochs=1, learning_rate=1e-7, stack_tfidf=False)

    finetuned = ModelVersion.objects.get(run=run, kind=ModelVersionKind.FINETUNED)
    baseline = ModelVersion.objects.get(run=run, kind=ModelVersionKind.BASELINE)
    assert finetuned.status == ModelVersionStatus.CANDIDATE
    assert baseline.status == ModelVersionStatus.ACTIVE and baseline.artifact_path.endswith("/baseline")
    assert baseline.test_metrics()["macro_f1"] > finetuned.test_metrics()["macro_f1"]
    assert finetuned.decision["served"] == "baseline"
    assert finetuned.decision["reason"].startswith("The fine-tuned model is not yet better than keyword statistics")
    assert "interval" in finetuned.decision["reason"]


def _force(monkeypatch, served: str):
    """Make the serving rule return `served` whatever the margins (the rule itself is tested in tests/ml)."""
    from ml import selection

    real = selection.decide_serving

    def fake(*args, **kwargs):
        decision = real(*args, **kwargs)
        return selection.ServingDecision(served, f"forced: {served}", decision.vs_baseline, decision.vs_active)

    monkeypatch.setattr(selection, "decide_serving", fake)


def test_a_challenger_not_clearly_better_stays_candidate_and_the_champion_stays_active(
    reviews, django_capture_on_commit_callbacks, monkeypatch
):
    start_run(django_capture_on_commit_callbacks)
    champion = ModelVersion.objects.get(status=ModelVersionStatus.ACTIVE)
    _force(monkeypatch, "active")

    second = start_run(django_capture_on_commit_callbacks, seed=7)

    challenger = ModelVersion.objects.get(run=second)
    champion.refresh_from_db()
    assert second.status == TrainingRunStatus.SUCCEEDED
    assert challenger.status == ModelVersionStatus.CANDIDATE and challenger.kind == ModelVersionKind.FINETUNED
    assert champion.status == ModelVersionStatus.ACTIVE


def test_a_better_challenger_is_compared_on_the_same_test_data_and_activated(
    reviews, django_capture_on_commit_callbacks, monkeypatch
):
    start_run(django_capture_on_commit_callbacks)
    first_active = ModelVersion.objects.get(status=ModelVersionStatus.ACTIVE)
    seen = {}
    real = model_registry._champion_predictions

    def spy(champion, **kwargs):
        seen["predictions"] = real(champion, **kwargs)
        return seen["predictions"]

    monkeypatch.setattr(model_registry, "_champion_predictions", spy)
    _force(monkeypatch, "challenger")
    second = start_run(django_capture_on_commit_callbacks)

    challenger = ModelVersion.objects.get(run=second)
    assert challenger.status == ModelVersionStatus.ACTIVE
    first_active.refresh_from_db()
    assert first_active.status == ModelVersionStatus.RETIRED
    # The champion was scored on as many rows as the challenger's test split holds.
    assert len(seen["predictions"]) == second.dataset_sizes["test_rows"]
    assert challenger.decision["vs_active"]["n"] == second.dataset_sizes["test_rows"]


def test_a_bad_base_model_fails_the_run_in_words_and_leaves_the_active_model(
    reviews, django_capture_on_commit_callbacks, settings, tmp_path
):
    start_run(django_capture_on_commit_callbacks)
    settings.MEMBERHUB_BASE_MODEL = str(tmp_path / "no-such-model")

    run = start_run(django_capture_on_commit_callbacks)

    assert run.status == TrainingRunStatus.FAILED
    assert "BaseModelError" in run.error and "no-such-model" in run.error
    assert ModelVersion.objects.count() in (1, 2)  # the fine-tune, and the baseline when that won
    assert ModelVersion.objects.filter(status="active").count() == 1 and not ModelVersion.objects.filter(run=run).exists()


def test_a_cancel_request_stops_training_within_a_batch(reviews, django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    real_recorder = training.ProgressRecorder.__call__

    def cancel_at_step_two(self, step, total_steps, epoch, loss, metrics):
        real_recorder(self, step, total_steps, epoch, loss, metrics)
        calls.append(step)
        if step >= 2:
            TrainingRun.objects.filter(pk=self.run_id).update(cancel_requested=True)

    monkeypatch.setattr(training.ProgressRecorder, "__call__", cancel_at_step_two)
    with django_capture_on_commit_callbacks(execute=True):
        run = training_run_create(task="sentiment", parameters={**FAST_RUN, "epochs": 20})
    run.refresh_from_db()

    assert run.status == TrainingRunStatus.CANCELLED
    assert max(calls) < run.total_steps / 2  # 20 epochs asked for; it stopped near the request
    assert "cancelled at step" in run.error
    assert not ModelVersion.objects.exists()


def test_cancelling_a_queued_run_ends_it_and_the_worker_skips_it(reviews):
    run = training_run_create(task="sentiment", parameters=FAST_RUN)  # on_commit never fires here

    assert training_run_cancel(run_id=run.pk).status == TrainingRunStatus.CANCELLED
    assert training.training_run_execute(run_id=run.pk) is None


def test_a_duplicate_delivery_of_the_train_task_does_nothing(reviews, django_capture_on_commit_callbacks):
    run = start_run(django_capture_on_commit_callbacks)

    versions = ModelVersion.objects.count()
    assert training.training_run_execute(run_id=run.pk) is None
    assert ModelVersion.objects.count() == versions


def test_unknown_tasks_and_options_are_refused_in_words():
    with pytest.raises(TrainingError, match="not available"):
        training_run_create(task="entities")
    with pytest.raises(TrainingError, match="Unknown training option 'dropout'"):
        training_run_create(task="sentiment", parameters={"dropout": 0.1})
    with pytest.raises(TrainingError, match="epochs must be a float"):
        training_run_create(task="sentiment", parameters={"epochs": "lots"})


def test_promote_and_roll_back_move_the_active_flag(reviews, django_capture_on_commit_callbacks):
    # a fine-tune that learns nothing: the baseline wins and serves
    start_run(django_capture_on_commit_callbacks, epochs=1, learning_rate=1e-7, stack_tfidf=False)
    finetuned = ModelVersion.objects.get(kind=ModelVersionKind.FINETUNED)
    baseline = ModelVersion.objects.get(kind=ModelVersionKind.BASELINE)

    model_version_promote(version_id=finetuned.pk)  # a person's call, whatever the metrics say
    assert dict(ModelVersion.objects.values_list("kind", "status")) == {"finetuned": "active", "tfidf_logreg": "retired"}

    assert model_version_rollback(task="sentiment").pk == baseline.pk
    assert dict(ModelVersion.objects.values_list("kind", "status")) == {"finetuned": "candidate", "tfidf_logreg": "active"}
    with pytest.raises(TrainingError, match="No earlier active"):
        model_version_rollback(task="sentiment")


def test_loss_history_is_thinned_to_its_cap_keeping_evaluations_and_the_newest_point():
    history = [{"step": i, "loss": 1 / (i + 1)} for i in range(1000)] + [{"step": 1000, "eval_macro_f1": 0.5}]
    history.insert(500, {"step": 500, "eval_macro_f1": 0.4})

    thinned = thin_history(history, cap=100)

    assert len([p for p in thinned if "loss" in p]) <= 100
    assert [p["eval_macro_f1"] for p in thinned if "eval_macro_f1" in p] == [0.4, 0.5]
    assert thinned[0]["step"] == 0 and [p for p in thinned if "loss" in p][-1]["step"] == 999


def test_progress_is_written_at_most_every_interval_except_evaluations(reviews):
    run = TrainingRun.objects.create(task="sentiment")
    now = [0.0]
    recorder = training.ProgressRecorder(run.pk, interval_s=2.0, clock=lambda: now[0])

    recorder(1, 100, 0.01, 0.9, {})  # first call writes
    now[0] = 1.0
    recorder(2, 100, 0.02, 0.8, {})  # within the interval: kept in memory only
    run.refresh_from_db()
    assert (run.step, len(run.loss_history)) == (1, 1)

    recorder(3, 100, 0.03, None, {"eval_macro_f1": 0.5})  # an evaluation is written at once
    run.refresh_from_db()
    assert run.step == 3 and run.loss_history[-1]["eval_macro_f1"] == 0.5
