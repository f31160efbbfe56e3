import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ml.__main__ import main
from tests.ml.conftest import make_reviews


def _write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_cli_trains_then_scores_a_csv(tmp_path, tiny_base_model, capsys):
    data = _write_csv(tmp_path / "reviews.csv", make_reviews(100, seed=3))
    out = tmp_path / "model"
    code = main([
        "train", "--data", str(data), "--text-column", "body", "--rating-column", "rating", "--title-column", "title",
        "--out", str(out), "--base-model", str(tiny_base_model), "--epochs", "1", "--max-length", "32",
        "--batch-size", "8", "--max-train-samples", "40",
    ])
    assert code == 0, capsys.readouterr().err
    assert "test macro-F1" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["data"]["train_rows_used"] == 40

    fresh = [{"id": "a", "body": "love it", "title": ""}, {"id": "b", "body": "", "title": ""}]
    scored_path = tmp_path / "scored.csv"
    code = main(["score", "--model", str(out), "--data", str(_write_csv(tmp_path / "new.csv", fresh)),
                 "--text-column", "body", "--title-column", "title", "--out", str(scored_path)])
    assert code == 0
    with scored_path.open(encoding="utf-8") as handle:
        scored = list(csv.DictReader(handle))
    assert [row["id"] for row in scored] == ["a", "b"]
    for row in scored:
        assert row["label"] in {"negative", "neutral", "positive"}
        probs = [float(row[f"prob_{label}"]) for label in ("negative", "neutral", "positive")]
        assert sum(probs) == pytest.approx(1.0, abs=1e-4)


def test_cli_names_the_columns_present_when_one_is_missing(tmp_path, capsys):
    data = _write_csv(tmp_path / "reviews.csv", make_reviews(5))
    code = main(["train", "--data", str(data), "--text-column", "Review Text", "--rating-column", "rating",
                 "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 2
    assert "missing column(s) 'Review Text'" in err and "'body', 'title', 'rating'" in err


def test_cli_score_refuses_a_folder_that_is_not_an_artifact(tmp_path, capsys):
    data = _write_csv(tmp_path / "new.csv", [{"body": "x"}])
    code = main(["score", "--model", str(tmp_path), "--data", str(data), "--text-column", "body",
                 "--out", str(tmp_path / "o.csv")])
    assert code == 2 and "not a trained artifact" in capsys.readouterr().err


def test_torchrun_with_two_processes_writes_one_artifact(tmp_path, tiny_base_model):
    """Multi-process training goes through torchrun (gloo on CPU here, NCCL on GPUs): every rank
    trains and evaluates, rank 0 alone writes the artifact, and the test metrics cover each test
    row once."""
    data = _write_csv(tmp_path / "reviews.csv", make_reviews(150, seed=5))
    out = tmp_path / "ddp-model"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("torchrun")), "--nproc_per_node", "2", "--master_port", "29531",
         "-m", "ml", "train", "--data", str(data), "--text-column", "body", "--rating-column", "rating",
         "--out", str(out), "--base-model", str(tiny_base_model), "--epochs", "1", "--max-length", "32",
         "--batch-size", "8"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.count("artifact: ") == 1  # rank 1 reports nothing
    metrics = json.loads((out / "metrics.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert sum(row["support"] for row in metrics["test"]["finetuned"]["per_class"].values()) == metrics["test_size"]
    assert metrics["test_size"] == config["data"]["test_rows"]
    assert (out / "model" / "model.safetensors").is_file()
    assert not out.with_name(out.name + ".partial").exists()
