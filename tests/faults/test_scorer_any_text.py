"""The review scorer takes any text without an exception: empty, 1 MB, emoji, NUL and other
control characters, lone surrogates, mixed scripts, non-strings."""

import numpy as np
import pytest

from ml.scoring import Encoder, Scorer
from tests.ml.conftest import _modest_threads, tiny_base_model, trained_artifact  # noqa: F401

ANY_TEXT = [
    "",
    "   \n\t ",
    "word " * 200_000,  # 1 MB of words
    "😀🔥👗❤️‍🔥🏳️‍🌈" * 50,
    "nul\x00in\x00the\x00middle",
    "\x00",
    "\x00\x01\x02\x1b[31m\x7f",
    "lone \ud800 surrogate \udfff",
    "\ufeff\u200b\u202egpj.exe\u2066",
    "Qualité très déçue — とても可愛い — очень плохо — رائع جدا — 很好 — 🙂",
    "\u0301\u0301\u0301",  # combining marks alone
    "\U0010ffff\U000e0001",
]


@pytest.fixture(scope="module")
def scorer(trained_artifact):  # noqa: F811
    return Scorer(trained_artifact)


def test_the_scorer_labels_any_text(scorer):
    results = scorer.score(ANY_TEXT + [None, 42, b"bytes"], titles=["\x00title\ud800"] * (len(ANY_TEXT) + 3))
    assert len(results) == len(ANY_TEXT) + 3
    for result in results:
        assert result.label in {"negative", "neutral", "positive"}
        assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert np.isfinite(result.embedding).all()


def test_the_encoder_embeds_any_text(tiny_base_model):  # noqa: F811
    vectors = Encoder(str(tiny_base_model)).encode(ANY_TEXT)
    assert len(vectors) == len(ANY_TEXT) and all(np.isfinite(v).all() for v in vectors)
