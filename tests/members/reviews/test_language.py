"""Review language: stored on every scored review; a fine-tune that cannot read a review flags its
score low-confidence; a shop whose reviews the base model cannot read is served the baseline.

The base model is a tiny BERT whose vocabulary holds only English review words
(tests/ml/test_train_language.py), so Chinese reviews are [UNK] to it.
"""

import pytest
from django.utils import timezone

from members.models import ModelVersion, Review
from members.reviews.services import scoring
from members.reviews.services.model_registry import review_baseline_train
from members.reviews.services.model_versions import model_version_promote
from members.reviews.services.scoring import score_reviews
from members.reviews.services.training import training_run_create
from tests.factories import MemberFactory, ProductFactory
from tests.members.reviews.conftest import FAST_RUN, make_reviews
from tests.ml.test_cjk_model import make_chinese_reviews
from tests.ml.test_train_language import english_only_model  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_only_base(ml_settings, english_only_model):  # noqa: F811
    ml_settings.MEMBERHUB_BASE_MODEL = str(english_only_model)
    return english_only_model


def make_chinese(n: int, *, seed: int = 0) -> list[Review]:
    member, product, now = MemberFactory(), ProductFactory(), timezone.now()
    return Review.objects.bulk_create([
        Review(external_id=f"ZH{seed}-{i:04d}", member=member, product=product, rating=int(row["rating"]),
               title=row["title"], body=row["body"], created_at=now, language="en")
        for i, row in enumerate(make_chinese_reviews(n, seed=seed))
    ])


def test_scoring_stores_the_language_and_flags_reviews_the_finetune_cannot_read(django_capture_on_commit_callbacks):
    english = make_reviews(80)
    with django_capture_on_commit_callbacks(execute=True):
        training_run_create(task="sentiment", parameters=FAST_RUN)
    finetuned = ModelVersion.objects.get(kind="finetuned")
    assert finetuned.metrics["language"]["readable"]
    model_version_promote(version_id=finetuned.pk)
    chinese = make_chinese(6)

    score_reviews(review_ids=[r.pk for r in english[:6] + chinese], force=True)

    zh = Review.objects.filter(pk__in=[r.pk for r in chinese])
    en = Review.objects.filter(pk__in=[r.pk for r in english[:6]])
    assert {r.language for r in zh} == {"zh"} and all(r.sentiment_low_confidence for r in zh)
    assert {r.language for r in en} == {"en"} and not any(r.sentiment_low_confidence for r in en)
    assert all(r.sentiment for r in zh)  # still scored: the flag says how far to trust it


def test_a_chinese_batch_gets_keyword_topics_without_the_encoder(monkeypatch):
    built = []
    real = scoring.topic_labeller

    def spy(*, keywords_only=False, **kwargs):
        labeller = real(keywords_only=keywords_only, **kwargs)
        built.append(labeller.encoder is not None)
        return labeller

    monkeypatch.setattr(scoring, "topic_labeller", spy)

    labeller = scoring._batch_topic_labeller(["送餐很快，超级好吃", "饭都凉了，差评"], keywords_only=False)

    assert labeller.encoder is None and built == [True, False]
    assert scoring._batch_topic_labeller(["love, perfect, gorgeous"], keywords_only=False).encoder is not None


def test_a_run_on_chinese_reviews_serves_the_char_ngram_baseline_and_says_why(django_capture_on_commit_callbacks):
    reviews = make_chinese(150, seed=1)
    with django_capture_on_commit_callbacks(execute=True):
        run = training_run_create(task="sentiment", parameters=FAST_RUN)
    run.refresh_from_db()

    assert run.status == "succeeded", run.error
    [version] = ModelVersion.objects.all()
    assert version.kind == "tfidf_logreg" and version.status == "active"
    assert version.base_model == "TF-IDF (character 1-3 grams) + logistic regression"
    assert version.artifact_path.endswith("/baseline")
    assert not version.metrics["language"]["readable"] and version.metrics["text_features"] == "char_wb"
    assert version.metrics["decision"]["reason"].startswith("The base model cannot read these texts")
    report = score_reviews(review_ids=[r.pk for r in reviews[:10]])
    assert report.scored == 10
    assert not Review.objects.filter(pk__in=[r.pk for r in reviews[:10]], sentiment_low_confidence=True).exists()
    assert set(Review.objects.filter(pk__in=[r.pk for r in reviews[:10]]).values_list("language", flat=True)) == {"zh"}


def test_the_baseline_replaces_an_active_finetune_that_cannot_read_the_reviews():
    make_chinese(150, seed=2)
    finetuned = ModelVersion.objects.create(task="sentiment", version=1, kind="finetuned", artifact_path="/nowhere",
                                            status="active", activated_at=timezone.now(), metrics={})

    version = review_baseline_train()

    assert version.status == "active" and not version.metrics["language"]["readable"]
    assert f"It replaces {finetuned.label}" in version.metrics["decision"]["reason"]
    finetuned.refresh_from_db()
    assert finetuned.status == "retired"
