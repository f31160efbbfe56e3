"""The Models page says in one sentence when the baseline is served because the base model cannot
read the shop's reviews, with the share stored in the version's metrics."""

import pytest
from django.utils import timezone

from members.models import ModelVersion

pytestmark = pytest.mark.django_db
LANGUAGE = {"dominant": "zh", "shares": {"zh": 1.0, "en": 0.0, "other": 0.0}, "readable": False,
            "unk": {"zh": {"texts": 8000, "tokens": 400000, "unk_tokens": 264000, "unk_share": 0.66}},
            "overall_unk_share": 0.66, "unreadable_languages": ["zh"], "unreadable_unk_share": 0.15}


def test_an_unreadable_language_is_said_in_one_sentence(merch_client):
    ModelVersion.objects.create(task="sentiment", version=1, kind="tfidf_logreg", artifact_path="/tmp/run/baseline",
                                status="active", activated_at=timezone.now(),
                                metrics={"language": LANGUAGE, "text_features": "char_wb", "test": {}})

    html = merch_client.get("/models/").content.decode()

    assert ("The base model cannot read 66% of the tokens of your Chinese reviews; "
            "the character n-gram baseline is served.") in html


def test_no_language_sentence_when_the_reviews_are_readable(merch_client):
    readable = {**LANGUAGE, "readable": True, "unreadable_languages": []}
    ModelVersion.objects.create(task="sentiment", version=1, kind="tfidf_logreg", artifact_path="/tmp/b",
                                status="active", activated_at=timezone.now(), metrics={"language": readable})

    assert 'id="language-notice"' not in merch_client.get("/models/").content.decode()
