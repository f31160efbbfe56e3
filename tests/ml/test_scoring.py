import numpy as np
import pytest

from ml.scoring import ArtifactError, Encoder, Scorer

TEXTS = [
    "love it, perfect fit",
    "terrible quality, returned it",
    "okay",
    "gorgeous dress " * 400,  # far past max_length: truncated
    "😀🔥👗 ❤️",
    "Qualité médiocre, très déçue",
    "とても可愛いです",
    "",
]


@pytest.fixture(scope="module")
def scorer(trained_artifact):
    return Scorer(trained_artifact)


def test_every_text_gets_a_label_probabilities_and_a_unit_embedding(scorer):
    results = scorer.score(TEXTS + [None, "   "])
    assert len(results) == len(TEXTS) + 2
    for result in results:
        assert result.label in {"negative", "neutral", "positive"}
        assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert result.label == max(result.probabilities, key=result.probabilities.get)
        assert result.embedding.shape == (32,)
        assert np.linalg.norm(result.embedding) == pytest.approx(1.0, abs=1e-5)


def test_results_come_back_in_input_order(scorer):
    together = scorer.score(TEXTS, batch_size=3)
    one_by_one = [scorer.score([text])[0] for text in TEXTS]
    for a, b in zip(together, one_by_one):
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-5)
    assert not np.allclose(together[0].embedding, together[1].embedding)


def test_probabilities_do_not_depend_on_batch_size(scorer):
    texts = TEXTS * 3
    probs = {
        size: np.array([[r.probabilities[k] for k in scorer.labels] for r in scorer.score(texts, batch_size=size)])
        for size in (1, 4, 64)
    }
    assert np.allclose(probs[1], probs[4], atol=1e-5) and np.allclose(probs[1], probs[64], atol=1e-5)


def test_empty_text_falls_back_to_the_title(scorer):
    empty, with_title, title_alone = scorer.score(["", "", "Awful"], titles=[None, "Awful", None])
    assert with_title.probabilities == pytest.approx(title_alone.probabilities, abs=1e-6)
    assert empty.probabilities != pytest.approx(with_title.probabilities, abs=1e-6)


def test_titles_must_match_texts(scorer):
    with pytest.raises(ValueError, match="2 texts but 1 titles"):
        scorer.score(["a", "b"], titles=["t"])


def test_scorer_refuses_a_folder_that_is_not_an_artifact(tmp_path):
    with pytest.raises(ArtifactError):
        Scorer(tmp_path)


def test_encoder_embeds_with_the_bare_base_model(tiny_base_model):
    encoder = Encoder(str(tiny_base_model))
    vectors = encoder.encode(TEXTS, batch_size=3)
    assert vectors.shape == (len(TEXTS), 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[1], encoder.encode([TEXTS[1]])[0], atol=1e-5)
    assert encoder.encode([]).shape == (0, 32)


def test_packaged_encoder_matches_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    from ml.base_model import packaged_model_path

    texts = ["Runs small, order a size up.", "Beautiful colour and soft fabric."]
    ours = Encoder().encode(texts)
    reference = SentenceTransformer(str(packaged_model_path()), device="cpu").encode(texts, normalize_embeddings=True)
    assert np.allclose(ours, reference, atol=1e-4)
