"""A base model with a Chinese vocabulary goes through training and scoring end to end.

The base model is a tiny randomly initialised BERT whose vocabulary is the characters of the
sample reviews, tokenised one character at a time (``tokenize_chinese_chars``), as Chinese BERTs
do. It shows the pipeline has nothing English-only in it, and that the unknown-token share tells a
model that can read Chinese (about 0) from the packaged MiniLM (most tokens unknown).
"""

import random

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertModel, BertTokenizerFast

from ml.base_model import packaged_model_path
from ml.baseline import CHAR_ANALYZER, load_baseline
from ml.config import TrainConfig
from ml.language import ZH, check_language, unk_share
from ml.scoring import Scorer

# Words per star rating (1-5), as tests/ml/conftest.py's WORDS, in Chinese food-delivery reviews.
WORDS = {
    1: ["难吃", "太慢了", "饭都凉了", "要求退款", "差评"],
    2: ["一般般", "有点咸", "分量偏少", "送得慢"],
    3: ["还行", "普通", "可以", "凑合"],
    4: ["好吃", "不错", "送餐很快", "新鲜"],
    5: ["超级好吃", "完美", "强烈推荐", "非常满意"],
}
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def make_chinese_reviews(n: int, *, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        rating = rng.choice([1, 2, 3, 4, 5, 5])
        words = rng.choices(WORDS[rating], k=rng.randint(2, 5))
        rows.append({"body": "，".join(words) + rng.choice(["。", "！", ""]), "title": words[0], "rating": str(rating)})
    return rows


@pytest.fixture(scope="module")
def chinese_base_model(tmp_path_factory):
    """A randomly initialised 2-layer, 32-wide BERT whose vocabulary is the sample's characters."""
    folder = tmp_path_factory.mktemp("tiny-chinese-bert")
    characters = sorted({c for words in WORDS.values() for word in words for c in word} | set("，。！. "))
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(SPECIAL_TOKENS + [c for c in characters if not c.isspace()]) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), tokenize_chinese_chars=True, do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_the_chinese_tokenizer_reads_chinese_and_the_packaged_minilm_does_not(chinese_base_model):
    texts = [row["body"] for row in make_chinese_reviews(50, seed=5)]
    chinese = AutoTokenizer.from_pretrained(chinese_base_model, local_files_only=True)
    packaged = AutoTokenizer.from_pretrained(packaged_model_path(), local_files_only=True)

    assert chinese.tokenize("送餐很快") == ["送", "餐", "很", "快"]  # one token per character
    assert unk_share(chinese, texts) == pytest.approx(0.0, abs=1e-9)
    assert unk_share(packaged, texts) > 0.3
    assert check_language(chinese, texts).readable
    verdict = check_language(packaged, texts)
    assert verdict.dominant == ZH and not verdict.readable


def test_a_chinese_base_model_trains_and_scores_end_to_end(chinese_base_model, tmp_path):
    from ml.train import train

    config = TrainConfig(
        base_model=str(chinese_base_model), text_column="body", title_column="title", rating_column="rating",
        max_length=32, epochs=2, batch_size=8, learning_rate=1e-3, output_dir=str(tmp_path / "zh-sentiment"),
    )
    result = train(config, make_chinese_reviews(120, seed=1))

    assert result.run_config["data"]["rows_total"] == 120
    assert result.metrics["test_size"] == 24 and len(result.metrics["test_labels"]) == 24
    # the baseline trained beside the fine-tune cut the Chinese text into character n-grams ...
    baseline = load_baseline(result.artifact_dir / "baseline")
    assert baseline.analyzer == CHAR_ANALYZER
    # ... which separate the ratings far better than the majority class
    test = result.metrics["test"]
    assert test["tfidf_logreg"]["macro_f1"] > test["majority"]["macro_f1"] + 0.3

    scorer = Scorer(result.artifact_dir)
    texts = ["超级好吃，强烈推荐", "难吃，要求退款。", "", None, "还行"]
    results = scorer.score(texts, titles=[None, None, "好吃", None, None])
    assert len(results) == len(texts)
    for scored in results:
        assert scored.label in {"negative", "neutral", "positive"}
        assert sum(scored.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert scored.embedding.shape == (32,)
    # what the model saw was characters, not unknown tokens
    assert unk_share(scorer.tokenizer, [t for t in texts if t]) == 0.0
