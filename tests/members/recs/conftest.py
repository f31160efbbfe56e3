"""The recommendation service tests use the ml fixtures: the tiny random BERT and the bag-of-words encoder."""

from tests.ml.conftest import tiny_base_model  # noqa: F401  (fixtures reused)
from tests.ml.recs.conftest import _modest_threads, bag_encoder  # noqa: F401
