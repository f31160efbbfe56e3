"""The Models page says plainly when the baseline is served, shows each version's margins with
their intervals, and a budgeted run's ETA."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import ModelVersion, TrainingRun

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
COMPARISON = {"delta": -0.021, "low": -0.048, "high": 0.006, "n": 962, "confidence": 0.95, "a": 0.59, "b": 0.611}


def test_a_served_baseline_is_said_plainly_with_the_finetunes_margin(merch_client):
    decision = {"served": "baseline", "reason": "The fine-tuned model is not yet better ...", "vs_baseline": COMPARISON,
                "vs_active": None}
    test = {"finetuned": {"macro_f1": 0.59}, "tfidf_logreg": {"macro_f1": 0.611}, "majority": {"macro_f1": 0.29}}
    ModelVersion.objects.create(task="sentiment", version=1, kind="finetuned", artifact_path="/tmp/ft",
                                metrics={"test": test, "decision": decision, "test_size": 962})
    ModelVersion.objects.create(task="sentiment", version=2, kind="tfidf_logreg", artifact_path="/tmp/ft/baseline",
                                metrics={"test": test, "decision": decision, "test_size": 962}, status="active",
                                activated_at=timezone.now())

    html = merch_client.get("/models/").content.decode()

    assert 'id="baseline-served"' in html
    assert "not yet better than keyword statistics on your reviews: serving the baseline (sentiment-v2" in html
    assert "-0.021 (95% CI -0.048 to +0.006)" in html  # the fine-tune's margin vs TF-IDF + LR
    assert "Baseline" in html and "Fine-tuned" in html


def test_no_baseline_notice_when_a_finetune_serves(merch_client):
    ModelVersion.objects.create(task="sentiment", version=1, artifact_path="/tmp/ft", status="active",
                                metrics={"test": {"finetuned": {"macro_f1": 0.7}}}, activated_at=timezone.now())

    assert 'id="baseline-served"' not in merch_client.get("/models/").content.decode()


def test_a_budgeted_running_run_shows_its_budget_and_an_eta(merch_client):
    run = TrainingRun.objects.create(task="sentiment", status="running", step=30, total_steps=120,
                                     parameters={"max_minutes": 10.0},
                                     started_at=timezone.now() - timedelta(seconds=60))

    html = merch_client.get(f"/models/runs/{run.pk}/", **HTMX).content.decode()

    assert "budget 10 min" in html
    # 30 steps took 60 s, 90 to go: about 3 minutes left, within the 9 minutes the budget allows
    assert "ETA 2 min 5" in html or "ETA 3 min 0" in html
