"""Training runs end to end through the Celery task (eager), with the tiny base model."""

import pytest

from members.models import ModelVersion, ModelVersionStatus, TrainingRun, TrainingRunStatus
from members.services import training
from members.services.training import (
    TrainingError,
    model_version_promote,
    model_version_rollback,
    thin_history,
    training_run_cancel,
    training_run_create,
)
from tests.members.ml.conftest import FAST_RUN

pytestmark = pytest.mark.django_db


def start_run(django_capture_on_commit_callbacks, **parameters) -> TrainingRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = training_run_create(task="sentiment", parameters={**FAST_RUN, **parameters})
    run.refresh_from_db()
    return run


def test_first_run_creates_an_active_version_with_metrics_and_progress(reviews, django_capture_on_commit_callbacks):
    run = start_run(django_capture_on_commit_callbacks)

    assert run.status == TrainingRunStatus.SUCCEEDED, run.error
    version = ModelVersion.objects.get(run=run)
    assert (version.task, version.version, version.status) == ("sentiment", 1, ModelVersionStatus.ACTIVE)
    assert version.activated_at is not None
    assert (version.metrics["test"]["finetuned"]["macro_f1"] >= 0) and "tfidf_logreg" in version.metrics["test"]
    assert version.metrics["challenge"]["challenger_wins"] is True
    assert run.dataset_sizes["train_rows"] + run.dataset_sizes["validation_rows"] + run.dataset_sizes["test_rows"] == 80
    assert run.step == run.total_steps > 0
    assert any("loss" in point for point in run.loss_history)
    assert run.started_at and run.finished_at and run.device == "cpu"


def test_a_worse_challenger_stays_candidate_and_the_champion_stays_active(
    reviews, django_capture_on_commit_callbacks, monkeypatch
):
    first = start_run(django_capture_on_commit_callbacks)
    champion = ModelVersion.objects.get(run=first)
    # The champion, scored on the challenger's own test split, is made to look perfect.
    monkeypatch.setattr(training, "champion_evaluate", lambda **kwargs: {"macro_f1": 1.01})

    second = start_run(django_capture_on_commit_callbacks, seed=7)

    challenger = ModelVersion.objects.get(run=second)
    champion.refresh_from_db()
    assert second.status == TrainingRunStatus.SUCCEEDED
    assert (challenger.version, challenger.status) == (2, ModelVersionStatus.CANDIDATE)
    assert champion.status == ModelVersionStatus.ACTIVE
    assert challenger.metrics["challenge"]["champion_macro_f1"] == 1.01
    assert challenger.metrics["challenge"]["champion_label"] == "sentiment-v1"


def test_a_better_challenger_is_compared_on_the_same_test_data_and_activated(
    reviews, django_capture_on_commit_callbacks, monkeypatch
):
    start_run(django_capture_on_commit_callbacks)
    seen = {}
    real = training.champion_evaluate

    def spy(**kwargs):
        seen["result"] = real(**kwargs)
        return {"macro_f1": -1.0}

    monkeypatch.setattr(training, "champion_evaluate", spy)
    second = start_run(django_capture_on_commit_callbacks)

    assert ModelVersion.objects.get(run=second).status == ModelVersionStatus.ACTIVE
    assert ModelVersion.objects.get(version=1).status == ModelVersionStatus.RETIRED
    # The champion was scored on as many rows as the challenger's test split holds.
    assert sum(seen["result"]["per_class"][c]["support"] for c in seen["result"]["per_class"]) == \
        second.dataset_sizes["test_rows"]


def test_a_bad_base_model_fails_the_run_in_words_and_leaves_the_active_model(
    reviews, django_capture_on_commit_callbacks, settings, tmp_path
):
    start_run(django_capture_on_commit_callbacks)
    settings.MEMBERHUB_BASE_MODEL = str(tmp_path / "no-such-model")

    run = start_run(django_capture_on_commit_callbacks)

    assert run.status == TrainingRunStatus.FAILED
    assert "BaseModelError" in run.error and "no-such-model" in run.error
    assert list(ModelVersion.objects.values_list("version", "status")) == [(1, "active")]


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

    assert training.training_run_execute(run_id=run.pk) is None
    assert ModelVersion.objects.count() == 1


def test_unknown_tasks_and_options_are_refused_in_words():
    with pytest.raises(TrainingError, match="not available"):
        training_run_create(task="entities")
    with pytest.raises(TrainingError, match="Unknown training option 'dropout'"):
        training_run_create(task="sentiment", parameters={"dropout": 0.1})
    with pytest.raises(TrainingError, match="epochs must be a float"):
        training_run_create(task="sentiment", parameters={"epochs": "lots"})


def test_promote_and_roll_back_move_the_active_flag(reviews, django_capture_on_commit_callbacks, monkeypatch):
    start_run(django_capture_on_commit_callbacks)
    monkeypatch.setattr(training, "champion_evaluate", lambda **kwargs: {"macro_f1": 2.0})
    start_run(django_capture_on_commit_callbacks)
    v1, v2 = ModelVersion.objects.order_by("version")

    model_version_promote(version_id=v2.pk)
    assert dict(ModelVersion.objects.values_list("version", "status")) == {1: "retired", 2: "active"}

    assert model_version_rollback(task="sentiment").pk == v1.pk
    assert dict(ModelVersion.objects.values_list("version", "status")) == {1: "active", 2: "candidate"}
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
