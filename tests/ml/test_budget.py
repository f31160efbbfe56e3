"""The time budget: training stops on time, the learning rate follows the budget, the CLI honours it."""

import json

import pytest

from ml.__main__ import main
from ml.budget import RESERVE_FIXED_S, TimeBudget
from ml.train import train
from tests.ml.conftest import make_reviews


def test_the_learning_rate_warms_up_then_decays_to_zero_at_the_expected_stop():
    now = [0.0]
    budget = TimeBudget(deadline=100.0 + RESERVE_FIXED_S, rows_after_training=0, batch_size=8, grad_accum=1,
                        warmup_ratio=0.1, clock=lambda: now[0])
    budget.train_start, budget.max_steps = 0.0, 10_000

    factors = {}
    for t in (5.0, 10.0, 55.0, 99.0):
        now[0] = t
        budget.step = int(t)
        factors[t] = budget.lr_factor(budget.step)

    assert factors[5.0] == pytest.approx(0.5, abs=0.01)  # half-way through warmup
    assert factors[10.0] == pytest.approx(1.0, abs=0.01)
    assert factors[55.0] == pytest.approx(0.5, abs=0.01)
    assert factors[99.0] < 0.02 and not budget.over()
    now[0] = 100.0
    assert budget.over() and budget.progress() == 1.0


def test_the_reserve_grows_with_the_rows_still_to_predict_and_optional_rows_fit_their_share():
    now = [0.0]
    budget = TimeBudget(deadline=600.0, rows_after_training=1000, optional_rows=5000, batch_size=10, grad_accum=1,
                        warmup_ratio=0.1, clock=lambda: now[0])
    budget.train_start, budget.first_step_end = 0.0, 12.0  # the first step is slow: warm-up
    assert budget.reserve_s() == RESERVE_FIXED_S  # no pace yet (step 0)
    now[0], budget.step = 12.0, 1
    assert budget.reserve_s() == RESERVE_FIXED_S  # nor from the warm-up step alone
    now[0], budget.step = 39.0, 10  # 3 s per step of 10 examples after it -> 0.1 s per example forward, x1.5
    # 600 s - 10 s fixed - 1000 required rows x 0.15 s leave 440 s; half of it = 1466 optional rows
    assert budget.optional_rows_allowed() == 1466
    assert budget.reserve_s() == pytest.approx(RESERVE_FIXED_S + (1000 + 1466) * 0.15, abs=0.2)


def test_training_stops_on_time_and_still_writes_a_measured_artifact(tiny_config, tmp_path):
    tiny_config.epochs = 400  # minutes of work without the budget
    tiny_config.max_minutes = 0.25
    progress = []

    result = train(tiny_config, make_reviews(120), on_progress=lambda *a: progress.append(a))

    assert result.metrics["stopped_by_budget"] is True
    assert result.metrics["train_seconds"] <= 15  # training itself stops inside the budget
    # and the whole call ends near it (generous slack: the CI box is shared; 400 epochs take many minutes)
    assert result.run_config["duration_s"] <= 45
    assert result.metrics["epochs_run"] < 400 and result.metrics["best_validation_macro_f1"] is not None
    step, total = progress[-1][:2]
    assert step == total  # the page shows 100 % when the budget ends the run


def test_cli_max_minutes_stops_training_on_time(tmp_path, tiny_base_model, capsys):
    data = tmp_path / "reviews.csv"
    rows = make_reviews(120, seed=5)
    data.write_text("body,rating\n" + "".join(f"{r['body']},{r['rating']}\n" for r in rows), encoding="utf-8")
    out = tmp_path / "artifact"

    code = main(["train", "--data", str(data), "--text-column", "body", "--rating-column", "rating", "--out", str(out),
                 "--base-model", str(tiny_base_model), "--epochs", "400", "--max-length", "32", "--batch-size", "8",
                 "--max-minutes", "0.25", "--threads", "2"])

    assert code == 0, capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert config["training"]["max_minutes"] == 0.25 and metrics["stopped_by_budget"] is True
    assert metrics["train_seconds"] <= 15 and config["duration_s"] <= 45
    printed = capsys.readouterr().out
    assert "served:" in printed and "stopped by the time budget" in printed
