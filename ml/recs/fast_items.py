"""Item vectors in seconds, for a first pass of recommendations before the transformer runs.

Encoding a catalogue with the packaged MiniLM takes minutes on a busy 2-core CPU (about 80 s for
the demo's 1,094 items at load 8); TF-IDF over the same item texts (ml.recs.data.item_text),
reduced by a truncated SVD and L2-normalised, takes well under a second. With the pooled member
view (Recommender text_weight=0) and the popularity prior, recommendations need nothing else, so
`make demo` can show every member's list at once and a worker replaces it with the transformer's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FAST_ITEM_DIMENSIONS = 128  # SVD components (fewer when the catalogue is small)


class TfidfItemEncoder:
    """``encode(texts)`` like ml.scoring.Encoder: fitted on the first call (the catalogue), the
    same vocabulary and projection after, rows L2-normalised float32."""

    def __init__(self, *, dimensions: int = FAST_ITEM_DIMENSIONS, seed: int = 0) -> None:
        self.dimensions, self.seed = dimensions, seed
        self.vectorizer = None
        self.svd = None

    def encode(self, texts: Sequence[str | None], *, batch_size: int = 0) -> np.ndarray:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = [text or "" for text in texts]
        if self.vectorizer is None:
            self.vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1, stop_words="english")
            matrix = self.vectorizer.fit_transform(docs)
            components = min(self.dimensions, max(matrix.shape[1] - 1, 1), max(matrix.shape[0] - 1, 1))
            self.svd = TruncatedSVD(n_components=components, random_state=self.seed)
            dense = self.svd.fit_transform(matrix)
        else:
            dense = self.svd.transform(self.vectorizer.transform(docs))
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        return (dense / np.where(norms == 0, 1.0, norms)).astype(np.float32)
