"""The language check in ml.train: a base model that cannot read the reviews is not fine-tuned.

The packaged base model is stubbed by a tiny randomly initialised BERT whose vocabulary holds only
the English review words (no CJK character), so Chinese reviews are almost all [UNK] to it, as
they are to the real packaged MiniLM (66% on waimai_10k).
"""

import json

import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizerFast

import ml.base_model
from ml.baseline import BASELINE_KIND, CHAR_ANALYZER
from ml.config import TrainConfig
from ml.language import ZH, cannot_read, unk_shares
from ml.scoring import load_scorer
from tests.ml.conftest import WORDS, make_reviews
from tests.ml.test_cjk_model import make_chinese_reviews

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="module")
def english_only_model(tmp_path_factory):
    """A 2-layer, 32-wide BERT whose WordPiece vocabulary is the English review words only."""
    folder = tmp_path_factory.mktemp("tiny-english-bert")
    words = sorted({w for group in WORDS.values() for w in group})
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(SPECIAL_TOKENS + words + [",", ".", "!"]) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def packaged_is_english_only(english_only_model, monkeypatch):
    """base_model None (the packaged MiniLM) resolves to the English-only tiny model."""
    monkeypatch.setattr(ml.base_model, "packaged_model_path", lambda: english_only_model)
    return english_only_model


def _config(tmp_path, **overrides) -> TrainConfig:
    return TrainConfig(base_model=None, text_column="body", title_column="title", rating_column="rating",
                       max_length=32, epochs=1, batch_size=8, learning_rate=1e-3,
                       output_dir=str(tmp_path / "run"), **overrides)


def test_chinese_reviews_are_served_by_the_char_ngram_baseline_without_fine_tuning(packaged_is_english_only, tmp_path):
    from ml.train import train

    result = train(_config(tmp_path), make_chinese_reviews(120, seed=1))

    metrics, run_config = result.metrics, result.run_config
    assert metrics["served"] == BASELINE_KIND and metrics["steps_run"] == 0
    assert metrics["text_features"] == CHAR_ANALYZER
    reason = metrics["decision"]["reason"]
    assert reason.startswith("The base model cannot read these texts:")
    assert "serving the character n-gram baseline" in reason
    assert metrics["language"]["dominant"] == ZH and not metrics["language"]["readable"]
    assert metrics["language"]["unk"][ZH]["unk_share"] > 0.9
    assert not (result.artifact_dir / "model").exists() and not (result.artifact_dir / "stack.joblib").exists()
    on_disk = json.loads((result.artifact_dir / "config.json").read_text())
    assert on_disk["fine_tuned"] is False and on_disk["language"] == metrics["language"]
    assert json.loads((result.artifact_dir / "metrics.json").read_text())["language"] == metrics["language"]
    baseline_config = json.loads((result.artifact_dir / "baseline" / "config.json").read_text())
    assert baseline_config["base_model"]["description"] == "TF-IDF (character 1-3 grams) + logistic regression"
    assert run_config["training"]["language_check"] is True
    # the run directory scores, through the baseline it serves
    scored = load_scorer(result.artifact_dir).score(["超级好吃，完美", "难吃，差评"])
    assert [r.label for r in scored] == ["positive", "negative"]


def test_language_check_off_forces_the_fine_tune(packaged_is_english_only, tmp_path):
    from ml.train import train

    result = train(_config(tmp_path, language_check=False, stack_tfidf=False), make_chinese_reviews(120, seed=1))

    assert result.metrics["steps_run"] > 0 and (result.artifact_dir / "model").is_dir()
    assert result.run_config["fine_tuned"] is True and not result.metrics["language"]["readable"]


def test_english_reviews_pass_the_check_and_are_fine_tuned(packaged_is_english_only, tmp_path):
    from ml.train import train

    result = train(_config(tmp_path, stack_tfidf=False), make_reviews(120, seed=1))

    assert result.metrics["language"]["readable"] and result.metrics["language"]["overall_unk_share"] == 0
    assert result.metrics["steps_run"] > 0 and (result.artifact_dir / "model").is_dir()
    baseline_config = json.loads((result.artifact_dir / "baseline" / "config.json").read_text())
    assert baseline_config["base_model"]["description"] == "TF-IDF (word 1-2 grams) + logistic regression"


def test_the_cli_warns_in_one_line_and_names_the_baseline(packaged_is_english_only, tmp_path, capsys):
    import csv

    from ml.__main__ import main

    data = tmp_path / "zh.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["body", "title", "rating"])
        writer.writeheader()
        writer.writerows(make_chinese_reviews(120, seed=2))

    code = main(["train", "--data", str(data), "--text-column", "body", "--rating-column", "rating",
                 "--out", str(tmp_path / "cli-run"), "--max-minutes", "1"])

    out, err = capsys.readouterr()
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: the base model cannot read these texts: ")
    assert "serving the character n-gram baseline" in warnings[0]
    assert f"served: {BASELINE_KIND}" in out


def test_unk_shares_are_per_text(english_only_model):
    tokenizer = BertTokenizerFast.from_pretrained(english_only_model)

    shares = unk_shares(tokenizer, ["love perfect", "超级好吃", None, ""])

    assert shares[0] == 0 and shares[1] == 1.0 and shares[2] == shares[3] == 0
    assert [cannot_read(s) for s in shares] == [False, True, False, False]
