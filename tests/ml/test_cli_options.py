"""The options of `python -m ml`, generated from the config dataclasses, keep their old names."""

import pytest

from ml import __main__ as cli
from ml.__main__ import _build, _max_minutes, build_parser, main
from ml.config import ScoreConfig, TrainConfig

REQUIRED = ["train", "--data", "r.csv", "--text-column", "body", "--out", "artifact"]


def test_the_old_train_options_map_onto_the_config():
    args = build_parser().parse_args(REQUIRED + [
        "--rating-column", "stars", "--no-stack", "--no-class-weights", "--lora", "--threads", "2",
        "--max-train-samples", "40", "--early-stopping-patience", "3", "--split", "0.8", "0.1", "0.1",
    ])
    config = _build(TrainConfig, args)
    assert (config.output_dir, config.text_column, config.rating_column) == ("artifact", "body", "stars")
    assert not config.stack_tfidf and not config.use_class_weights and config.lora
    assert (config.max_train_samples, config.early_stopping_patience, config.split) == (40, 3, (0.8, 0.1, 0.1))
    assert args.threads == 2 and str(args.data) == "r.csv"


def test_the_cli_defaults_stay_as_they_were():
    config = _build(TrainConfig, build_parser().parse_args(REQUIRED + ["--rating-column", "rating"]))
    assert config.stack_tfidf and config.use_class_weights and not config.lora
    assert config.base_model == "" and config.max_minutes is None and config.max_eval_samples == 600
    args = build_parser().parse_args(REQUIRED)
    assert args.rating_column is None  # no column is assumed to hold stars


def test_max_minutes_defaults_to_ten_on_a_cpu_and_zero_means_no_limit(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _max_minutes(None) == cli.DEFAULT_CPU_MAX_MINUTES == 10.0
    assert _max_minutes(0.0) is None and _max_minutes(2.5) == 2.5
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert _max_minutes(None) is None


def test_score_reads_the_model_option():
    args = build_parser().parse_args(["score", "--model", "m", "--data", "d.csv", "--text-column", "body",
                                      "--out", "o.csv", "--batch-size", "8"])
    assert _build(ScoreConfig, args) == ScoreConfig(model_dir="m", batch_size=8)


def test_a_missing_required_option_exits_with_status_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--data", "r.csv"])
    assert exit_info.value.code == 2 and "--text-column" in capsys.readouterr().err


def test_a_bad_value_is_a_one_line_error(tmp_path, capsys):
    data = tmp_path / "r.csv"
    data.write_text("body,rating\nnice,5\n", encoding="utf-8")
    code = main(["train", "--data", str(data), "--text-column", "body", "--rating-column", "rating",
                 "--out", str(tmp_path / "m"), "--split", "0.5", "0.5", "0.5"])
    assert code == 2 and capsys.readouterr().err.startswith("error: split must be three positive shares")
