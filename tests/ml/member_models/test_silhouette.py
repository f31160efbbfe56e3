"""The one-pass silhouette of several labelings equals sklearn's silhouette_score for each."""

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from ml.member_models import segmentation
from ml.member_models.segmentation import silhouette_scores


def test_every_labeling_scores_as_sklearn_does_including_a_lone_point_and_several_blocks(monkeypatch):
    monkeypatch.setattr(segmentation, "SILHOUETTE_BLOCK_CELLS", 50_000)  # 100 rows a block: 5 blocks
    rng = np.random.default_rng(7)
    X = np.r_[rng.normal(0, 1, (250, 6)), rng.normal(4, 1, (250, 6))]
    labelings = [np.repeat([0, 1], 250), rng.integers(0, 3, 500), rng.integers(0, 8, 500) * 10,
                 np.r_[np.zeros(499, int), [5]]]  # the last: one point alone in its cluster

    scores = silhouette_scores(X, labelings)

    assert scores == pytest.approx([silhouette_score(X, labels) for labels in labelings], abs=1e-9)
    assert scores[0] > 0.5 > scores[1]  # the true two groups score far above random labels
