"""Review-intelligence fixtures: a tiny random BERT as the base model, artifacts under tmp_path,
and reviews whose words follow their stars so even the tiny model learns something."""

import random
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from members.models import Review
from members.reviews.services.scoring import scoring_cache_clear
from tests.factories import MemberFactory, ProductFactory
from tests.ml.conftest import _modest_threads, tiny_base_model  # noqa: F401  (fixtures shared with ml tests)

WORDS = {
    1: ["terrible", "awful", "ripped", "returned", "broken"],
    2: ["poor", "disappointing", "scratchy", "tight"],
    3: ["okay", "fine", "average", "decent"],
    4: ["nice", "good", "comfortable", "pretty"],
    5: ["love", "perfect", "gorgeous", "beautiful"],
}


@pytest.fixture(autouse=True)
def ml_settings(settings, tiny_base_model, tmp_path):
    settings.MEMBERHUB_BASE_MODEL = str(tiny_base_model)
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path / "artifacts"
    settings.REVIEW_SCORING_BATCH_SIZE = 16  # several batches even for small test sets
    scoring_cache_clear()
    cache.delete("reviews:scoring-scheduled")
    yield settings
    scoring_cache_clear()
    cache.delete("reviews:scoring-scheduled")


# Small and fast: the tiny model trains in a second or two on CPU.
FAST_RUN = {"epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "max_length": 32}


def make_reviews(n: int, *, seed: int = 0, scored_at=None) -> list[Review]:
    """n reviews over the last n days, words chosen by star rating, one member and product per 10."""
    rng = random.Random(seed)
    now = timezone.now()
    members = [MemberFactory() for _ in range(max(1, n // 10))]
    products = [ProductFactory(category=rng.choice(["Dresses", "Tops"])) for _ in range(max(1, n // 10))]
    reviews = []
    for i in range(n):
        rating = rng.choice([1, 2, 3, 4, 5, 5])
        words = rng.choices(WORDS[rating], k=rng.randint(3, 8))
        reviews.append(Review(
            external_id=f"RV{seed}-{i:05d}", member=members[i % len(members)], product=products[i % len(products)],
            rating=rating, title=words[0], body=" ".join(words), created_at=now - timedelta(days=n - i),
            scored_at=scored_at,
        ))
    return Review.objects.bulk_create(reviews)


@pytest.fixture
def reviews(db) -> list[Review]:
    return make_reviews(80)
