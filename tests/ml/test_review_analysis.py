"""One encoder pass per review (ml.review_analysis, Scorer.score(sentences=True)): what it gives must
equal what the separate passes give, and the precision choices must behave as documented."""

import numpy as np
import pytest
import torch

from ml.baseline import train_baseline
from ml.config import TrainConfig
from ml.device import scoring_precision
from ml.entities import Catalogue, RuleEntityExtractor
from ml.review_analysis import analyse_reviews, shares_encoder
from ml.scoring import Scorer, load_scorer
from ml.topics import WeakTopicLabeller, sentence_spans, split_sentences
from tests.ml.conftest import make_reviews

ONE_SENTENCE = ["love this perfect dress", "terrible fabric, ripped after one wash", "okay fit"]
SEVERAL = [
    "Love the colour. The fabric ripped after a week! Shipping took ages",
    "Runs small; order a size up.\nGreat price though.",
    "",
    "perfect",
]


@pytest.fixture(scope="module")
def scorer(trained_artifact):
    return Scorer(trained_artifact, device="cpu")


def test_sentence_spans_point_at_the_split_sentences():
    for text in SEVERAL + ONE_SENTENCE + ["  padded.  Two  "]:
        spans = sentence_spans(text)
        assert len(spans) == len(split_sentences(text))
        for (start, end), sentence in zip(spans, split_sentences(text)):
            assert text[start:end] == sentence or (not text.strip() and start == end)


def test_the_shared_pass_scores_exactly_as_the_plain_pass(scorer):
    plain = scorer.score(SEVERAL + ONE_SENTENCE, batch_size=3)
    shared = scorer.score(SEVERAL + ONE_SENTENCE, batch_size=3, sentences=True)
    for a, b in zip(plain, shared):
        assert a.label == b.label and a.sentence_embeddings is None
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-6)
        np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-6)


def test_a_one_sentence_review_gets_the_embedding_of_that_sentence_encoded_alone(scorer):
    shared = scorer.score(ONE_SENTENCE, sentences=True)
    alone = scorer.encode(ONE_SENTENCE)
    for result, row in zip(shared, alone):
        assert result.sentence_embeddings.shape == (1, scorer.model.config.hidden_size)
        np.testing.assert_allclose(result.sentence_embeddings[0], row, atol=1e-5)
        np.testing.assert_allclose(result.embedding, row, atol=1e-5)  # the review is that sentence


def test_every_sentence_gets_a_unit_row_close_to_its_own_encoding(scorer):
    for text, result in zip(SEVERAL, scorer.score(SEVERAL, sentences=True)):
        sentences = split_sentences(text)
        rows = result.sentence_embeddings
        assert rows.shape[0] == len(sentences) and not np.isnan(rows).any()
        np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
        # in context, not alone: close to the sentence's own embedding, not equal (a tiny random model
        # mixes context more than MiniLM does, so the bound is loose; the clothing figures are in BENCHMARKS.md)
        alone = scorer.encode(sentences)
        assert (np.sum(rows * alone, axis=1) > 0.5).all()


def test_a_sentence_cut_off_by_max_length_is_encoded_on_its_own(trained_artifact):
    short = Scorer(trained_artifact, device="cpu")
    short.max_length = 8  # the first sentence fills the pass; the second is truncated away
    text = "love perfect gorgeous beautiful nice good. terrible awful ripped returned broken"
    [result] = short.score([text], sentences=True)
    _first, second = split_sentences(text)
    assert not np.isnan(result.sentence_embeddings).any()
    np.testing.assert_allclose(result.sentence_embeddings[1], short.encode([second])[0], atol=1e-5)


def test_analysis_with_a_shared_labeller_equals_the_separate_heads(scorer):
    labeller = WeakTopicLabeller(encoder=scorer)
    assert shares_encoder(scorer, labeller)
    extractor = RuleEntityExtractor(Catalogue(brands=["Acme"]))
    bodies = ["Love it. Acme made it well, $20", "The delivery was late", "", "fits"]
    titles = ["Great", None, "Only a title", ""]
    calls = []
    real_encode = scorer.encode
    scorer.encode = lambda texts, **kw: calls.append(list(texts)) or real_encode(texts, **kw)
    try:
        analyses = analyse_reviews(scorer, bodies, titles, labeller=labeller, extractor=extractor, batch_size=2)
    finally:
        del scorer.encode
    assert calls == [], "no sentence is encoded again when every one is in the pass"
    texts = ["Great. Love it. Acme made it well, $20", "The delivery was late", "Only a title", "fits"]
    separate = scorer.score(bodies, titles)
    for analysis, plain, text in zip(analyses, separate, texts):
        assert analysis.score.label == plain.label
        np.testing.assert_allclose(analysis.score.embedding, plain.embedding, atol=1e-6)
        expected = labeller.label([text])[0]  # the sentences encoded alone, as before
        got = labeller.label([text], sentence_embeddings=[analysis.score.sentence_embeddings])[0]
        assert set(analysis.topics) == set(got.topics)
        for code, evidence in expected.evidence.items():  # in context vs alone: close, not equal
            assert got.evidence[code].similarity == pytest.approx(evidence.similarity, abs=0.5)
    assert analyses[0].entities and {e["label"] for e in analyses[0].entities} >= {"BRAND", "PRICE"}
    assert "size_fit" in analyses[3].topics  # its keyword


def test_one_sentence_reviews_get_the_topics_of_the_separate_pass(scorer):
    labeller = WeakTopicLabeller(encoder=scorer)
    analyses = analyse_reviews(scorer, ONE_SENTENCE, [None] * 3, labeller=labeller)
    for analysis, expected in zip(analyses, labeller.label(ONE_SENTENCE)):
        assert analysis.topics == expected.topics


def test_a_baseline_scorer_keeps_its_own_topic_pass(tmp_path):
    config = TrainConfig(text_column="body", title_column="title", rating_column="rating",
                         output_dir=str(tmp_path / "baseline"))
    baseline = load_scorer(train_baseline(config, make_reviews(90, seed=2)).artifact_dir)
    labeller = WeakTopicLabeller()  # keywords only, as the service gives a baseline without an encoder
    assert not shares_encoder(baseline, labeller)
    analyses = analyse_reviews(baseline, ["the delivery was late, awful"], ["bad"], labeller=labeller)
    assert analyses[0].score.embedding is None and analyses[0].score.sentence_embeddings is None
    assert analyses[0].topics == ["delivery_logistics"] and not analyses[0].low_confidence


def test_int8_quantises_the_linear_layers_and_keeps_the_labels(trained_artifact, scorer):
    quantised = Scorer(trained_artifact, device="cpu", precision="int8")
    assert quantised.precision == "int8"
    assert not any(type(m) is torch.nn.Linear for m in quantised.model.modules())
    texts = SEVERAL + ONE_SENTENCE
    exact, approx = scorer.score(texts), quantised.score(texts, sentences=True)
    assert [r.label for r in exact] == [r.label for r in approx]
    for a, b in zip(exact, approx):
        assert a.probabilities == pytest.approx(b.probabilities, abs=0.05)


def test_bf16_runs_only_where_the_cpu_has_it_and_unknown_precisions_are_refused(monkeypatch):
    model = torch.nn.Linear(2, 2)
    monkeypatch.setattr("ml.device.cpu_has_bf16", lambda: False)
    assert scoring_precision(model, torch.device("cpu"), "bf16") == (model, "fp32")
    monkeypatch.setattr("ml.device.cpu_has_bf16", lambda: True)
    assert scoring_precision(model, torch.device("cpu"), "bf16") == (model, "bf16")
    with pytest.raises(ValueError, match="precision"):
        scoring_precision(model, torch.device("cpu"), "fp8")
