"""Weak topic labelling: keywords (case, plurals, stems, phrases) and prototype similarity."""

from __future__ import annotations

import numpy as np
import pytest

from ml.scoring import Encoder
from ml.topics import (
    DEFAULT_TOPICS,
    TopicSpec,
    WeakTopicLabeller,
    combine_score,
    keyword_hits,
    keyword_regex,
    split_sentences,
    topics_from,
)


def matched(text: str, *keywords: str) -> list[str]:
    return [hit for _, _, hit in keyword_hits(text, keyword_regex(keywords))]


def test_keywords_match_regardless_of_case():
    assert matched("The FIT is odd and the Quality poor", "fit", "quality") == ["FIT", "Quality"]


def test_keywords_match_plurals_and_verb_forms():
    assert matched("fits, fitted, fitting", "fit") == ["fits", "fitted", "fitting"]
    assert matched("two deliveries and one delivery", "delivery") == ["deliveries", "delivery"]
    assert matched("sizes sized sizing size", "size") == ["sizes", "sized", "sizing", "size"]
    assert matched("boxes and a box", "boxes") == ["boxes", "box"]


def test_keywords_respect_word_boundaries():
    assert matched("outfit benefit fitness", "fit") == []
    assert matched("I will wear it later", "late") == []


def test_multi_word_keywords_allow_any_spacing_or_hyphen():
    assert matched("runs  small, true-to-size", "runs small", "true to size") == ["runs  small", "true-to-size"]


def test_labeller_without_encoder_uses_keywords_only():
    result = WeakTopicLabeller().label(["Shipping took weeks and the box was crushed."])[0]
    assert set(result.topics) == {"delivery_logistics", "packaging"}
    assert result.evidence["packaging"].keywords == ("box", "crushed")
    assert result.evidence["size_fit"].similarity is None and not result.evidence["size_fit"].assigned


def test_labeller_handles_empty_emoji_and_long_texts():
    texts = ["", None, "😀🎉👗", "the fabric is great. " * 2000]
    results = WeakTopicLabeller().label(texts)
    assert [r.topics for r in results[:3]] == [[], [], []]
    assert results[3].topics == ["product_quality"]


def test_topics_from_accepts_tuples_and_mappings_and_rejects_duplicates():
    topics = topics_from([("eco", "Sustainability", "Eco friendly", ["organic"]), {"code": "gift", "keywords": ["gift"]}])
    assert [t.code for t in topics] == ["eco", "gift"]
    assert topics_from(None) == DEFAULT_TOPICS
    with pytest.raises(ValueError):
        topics_from([("a", "A", "", []), ("a", "B", "", [])])


def test_staff_topic_is_labelled_by_its_keywords():
    labeller = WeakTopicLabeller([*DEFAULT_TOPICS, TopicSpec("eco", "Sustainability", "Eco friendly", ("organic cotton",))])
    assert "eco" in labeller.label(["Made of Organic Cotton"])[0].topics


def test_combined_score_puts_threshold_at_one_half():
    assert combine_score(False, 0.6, 0.6) == pytest.approx(0.5)
    assert combine_score(False, 1.0, 0.6) == pytest.approx(1.0)
    assert combine_score(False, 0.3, 0.6) == pytest.approx(0.25)
    assert combine_score(True, 0.1, 0.6) == pytest.approx(0.9)
    assert combine_score(True, None, 0.6) == pytest.approx(0.9)


def test_sentences_are_split_and_empty_text_still_has_one():
    assert split_sentences("Great dress! Runs small. Fast shipping") == ["Great dress!", "Runs small.", "Fast shipping"]
    assert split_sentences("") == [" "]


class FakeEncoder:
    """Embeds by which of three marker words a text contains (orthogonal axes)."""

    markers = ("alpha", "beta", "gamma")

    def encode(self, texts, *, batch_size=64):
        rows = []
        for text in texts:
            v = np.array([1.0 if m in (text or "").lower() else 0.0 for m in self.markers] + [0.1])
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows).astype(np.float32)


def test_similarity_takes_the_best_sentence_so_one_mention_is_enough():
    topics = [TopicSpec("a", "Alpha", "alpha things"), TopicSpec("b", "Beta", "beta things")]
    labeller = WeakTopicLabeller(topics, encoder=FakeEncoder())
    results = labeller.label(["Nothing here. Nothing there. Something alpha.", "plain words"])
    assert results[0].topics == ["a"]
    assert results[0].evidence["a"].similarity > 0.99
    assert results[0].evidence["b"].similarity < 0.1
    assert results[1].topics == []


def test_prototype_similarity_with_a_real_encoder_finds_a_topic_described_verbatim(tiny_base_model):
    topic = TopicSpec("packaging", "Packaging", "How the product was packed", (), similarity_threshold=0.99)
    labeller = WeakTopicLabeller([topic], encoder=Encoder(str(tiny_base_model), device="cpu"))
    sims = labeller.similarities(["Packaging: How the product was packed", "", "😀"])
    assert sims.shape == (3, 1)
    assert sims[0, 0] == pytest.approx(1.0, abs=1e-4)
    assert np.all(sims <= 1.0001) and np.all(sims >= -1.0001)
    assert labeller.label(["Packaging: How the product was packed"])[0].topics == ["packaging"]
