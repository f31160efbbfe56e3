from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Recommendation, RecsRun
from members.recs.services import recommendations as service
from members.recs.services.recommendations_data import recs_model_current
from members.recs.tasks import recs_fine_tune, recs_generate
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory
from tests.members.recs.shop import shop_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def recs_settings(settings, tiny_base_model, tmp_path):
    settings.RECS_BASE_MODEL = str(tiny_base_model)
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path
    return settings


def _repeat_customers(shop, count=5):
    """Members with three orders of two products each: 4 (history -> next item) pairs apiece."""
    skus = list(shop.products)
    now = timezone.now()
    for n in range(count):
        member = MemberFactory()
        for order in range(3):
            placed = OrderFactory(member=member, placed_at=now - timedelta(days=30 - order * 10))
            for line in range(2):
                OrderItemFactory(order=placed, product=shop.products[skus[(n + order + line) % 8]], line_number=line + 1)


class WatchedRecommender(service.Recommender):
    """Remembers the weights it was built with (module level: a chunked run pickles it)."""

    weights: list = []

    def __init__(self, *args, **kwargs):
        WatchedRecommender.weights.append((kwargs["text_weight"], kwargs["popularity_weight"]))
        super().__init__(*args, **kwargs)


def test_generate_task_uses_the_base_model_until_a_version_is_trained(recs_settings):
    shop_create()
    assert recs_model_current()[1] == "base"
    result = recs_generate.delay().get()
    assert result["model_version"] == "base" and result["members"] == 3
    assert Recommendation.objects.filter(model_version="base").count() == result["rows"] > 0


def test_fine_tune_task_saves_a_version_and_regenerates_with_it_in_chunks(
        recs_settings, django_capture_on_commit_callbacks):
    shop = shop_create()
    _repeat_customers(shop)
    with django_capture_on_commit_callbacks(execute=True):  # the chunk tasks are queued on commit
        result = recs_fine_tune.delay(epochs=1.0).get()
    assert result["status"] == "trained" and result["steps"] >= 1
    location, version = recs_model_current()
    assert version == result["version"] and location.endswith(f"{version}/model")
    assert set(Recommendation.objects.values_list("model_version", flat=True)) == {version}
    run = RecsRun.objects.get()
    assert (run.kind, run.status, run.model_version, run.members) == ("full", "succeeded", version, 8)


def test_fine_tune_task_skips_a_shop_without_repeat_orders(recs_settings):
    shop_create()
    result = recs_fine_tune.delay().get()
    assert result["status"] == "skipped" and "pairs" in result["reason"]
    assert recs_model_current()[1] == "base"


def test_a_fine_tuned_version_generates_with_the_weights_benchmarked_for_it(
        recs_settings, monkeypatch, django_capture_on_commit_callbacks):
    shop = shop_create()
    _repeat_customers(shop)
    used = WatchedRecommender.weights = []
    monkeypatch.setattr(service, "Recommender", WatchedRecommender)
    recs_generate.delay().get()
    with django_capture_on_commit_callbacks(execute=True):
        recs_fine_tune.delay(epochs=1.0).get()  # trains, then regenerates with the new version
    assert used == [(service.TEXT_WEIGHT, service.POPULARITY_WEIGHT),
                    (service.FINETUNED_TEXT_WEIGHT, service.FINETUNED_POPULARITY_WEIGHT)]
