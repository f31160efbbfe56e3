"""Language detection, the tokenizer's unknown-token share, and the baseline's choice of n-grams."""

import pytest
from transformers import AutoTokenizer

from ml.base_model import packaged_model_path
from ml.baseline import (
    CHAR_ANALYZER,
    WORD_ANALYZER,
    BaselineScorer,
    choose_analyzer,
    fit_baseline,
    train_baseline,
)
from ml.config import TrainConfig
from ml.language import (
    EN,
    OTHER,
    UNREADABLE_UNK_SHARE,
    ZH,
    cannot_read,
    check_language,
    detect_language,
    dominant_language,
    language_shares,
    unk_share,
    unk_stats_by_language,
)

CHINESE = ["难吃，太慢了，饭都凉了，要求退款。", "很好吃，送餐很快，菜很新鲜。", "超级好吃！完美，强烈推荐，非常满意。"]
ENGLISH = ["Great dress, fits well", "Runs small and the fabric is cheap", "Love it!"]


@pytest.fixture(scope="module")
def packaged_tokenizer():
    return AutoTokenizer.from_pretrained(packaged_model_path(), local_files_only=True)


@pytest.mark.parametrize(("text", "expected"), [
    ("很快，好吃，味道足，量大", ZH),
    ("Nike鞋很舒服", ZH),  # a Chinese review naming a brand
    ("ordered from 优衣库, great fit", EN),  # an English review naming a Chinese shop
    ("Qualité médiocre, très déçue", EN),  # the Latin script, whatever the language
    ("とても可愛いです", OTHER),
    ("日本の服", OTHER),  # kana make it Japanese even beside Han characters
    ("很好吃，下次还点(づ｡◕‿‿◕｡)づ", ZH),  # a kana in an emoticon does not
    ("Очень хорошо", OTHER),
    ("😀👗 123 !!", OTHER),
    ("", OTHER),
    (None, OTHER),
])
def test_language_is_detected_from_the_script_of_the_letters(text, expected):
    assert detect_language(text) == expected


def test_shares_and_the_dominant_language():
    texts = CHINESE + ENGLISH[:1]
    assert language_shares(texts) == {ZH: 0.75, EN: 0.25, OTHER: 0.0}
    assert dominant_language(texts) == ZH
    assert dominant_language([]) == OTHER


def test_the_packaged_minilm_cannot_read_chinese_but_reads_english(packaged_tokenizer):
    assert unk_share(packaged_tokenizer, CHINESE) > 0.3
    assert unk_share(packaged_tokenizer, ENGLISH) == 0.0

    chinese = check_language(packaged_tokenizer, CHINESE)
    assert not chinese.readable and chinese.unreadable_languages == [ZH]
    assert "cannot read" in chinese.reason() and chinese.to_dict()["unk"][ZH]["unk_share"] > 0.3
    english = check_language(packaged_tokenizer, ENGLISH)
    assert english.readable and english.reason() == "" and english.unreadable_languages == []


def test_unknown_tokens_are_counted_per_language(packaged_tokenizer):
    stats = unk_stats_by_language(packaged_tokenizer, CHINESE + ENGLISH + [None])
    assert set(stats) == {ZH, EN, OTHER}
    assert stats[ZH].texts == 3 and stats[ZH].unk_share > 0.3
    assert stats[EN].unk_tokens == 0 and stats[EN].tokens > 10
    assert stats[OTHER].tokens == 0 and stats[OTHER].unk_share == 0.0  # an empty text produces no tokens


def test_a_few_unknown_emoji_do_not_make_english_unreadable(packaged_tokenizer):
    texts = ENGLISH + ["Perfect for a summer wedding 😀"]
    assert 0 < unk_share(packaged_tokenizer, texts) < UNREADABLE_UNK_SHARE
    assert check_language(packaged_tokenizer, texts).readable


def test_the_unreadable_threshold_is_strict():
    assert not cannot_read(UNREADABLE_UNK_SHARE) and cannot_read(UNREADABLE_UNK_SHARE + 0.01)


def test_english_keeps_word_ngrams_and_chinese_gets_character_ngrams():
    assert choose_analyzer(ENGLISH * 10) == WORD_ANALYZER
    assert choose_analyzer(CHINESE * 10) == CHAR_ANALYZER
    assert choose_analyzer(ENGLISH * 9 + CHINESE * 1) == WORD_ANALYZER  # 10% Chinese: words still carry it

    english = fit_baseline(ENGLISH * 4, [0, 1, 2] * 4, 3, seed=0)
    assert english.analyzer == WORD_ANALYZER and english.vectorizer.get_params()["ngram_range"] == (1, 2)
    forced = fit_baseline(ENGLISH * 4, [0, 1, 2] * 4, 3, seed=0, analyzer=CHAR_ANALYZER)
    assert forced.vectorizer.get_params()["analyzer"] == CHAR_ANALYZER
    with pytest.raises(ValueError, match="analyzer must be one of"):
        fit_baseline(ENGLISH, [0, 1, 2], 3, seed=0, analyzer="bpe")


def test_a_chinese_baseline_artifact_scores_with_the_character_ngrams_it_was_trained_on(tmp_path):
    words = {1: ["难吃", "太慢", "凉了", "退款"], 3: ["还行", "一般", "凑合"], 5: ["好吃", "新鲜", "推荐", "满意"]}
    rows = [{"body": "，".join(words[rating][(i + k) % len(words[rating])] for k in range(3)) + "。",
             "rating": str(rating)} for i in range(40) for rating in (1, 3, 5)]
    config = TrainConfig(text_column="body", rating_column="rating", output_dir=str(tmp_path / "zh-baseline"))

    result = train_baseline(config, rows)

    assert result.run_config["text_features"] == CHAR_ANALYZER
    assert result.run_config["base_model"]["description"] == "TF-IDF (character 1-3 grams) + logistic regression"
    assert result.metrics["test"]["tfidf_logreg"]["accuracy"] > 0.9
    scorer = BaselineScorer(result.artifact_dir)
    assert scorer.model.analyzer == CHAR_ANALYZER
    # unseen combinations of seen characters: only character n-grams can score these
    assert [r.label for r in scorer.score(["太难吃了，退款", "很新鲜，推荐"])] == ["negative", "positive"]
