"""The partner API answers in English with stable codes, whatever language the client asks for."""

import pytest
from django.conf import settings
from django.test import override_settings

pytestmark = pytest.mark.django_db

URL = "/api/v1/members/C-1/"
ENGLISH_MIDDLEWARE = "members.api.locale.ApiEnglishMiddleware"


def _invalid_put(client):
    return client.put(URL, {"joined_at": 5, "marketing_consent": "yes"}, format="json",
                      HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_a_400_stays_english_for_a_chinese_client(full_client):
    response = _invalid_put(full_client)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "urn:memberhub:problem:validation_error"
    assert body["title"] == "Invalid request"
    assert body["errors"]["marketing_consent"] == ["Must be a valid boolean."]
    assert response["Content-Language"] == "en"


@override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != ENGLISH_MIDDLEWARE])
def test_without_the_middleware_drf_would_answer_in_chinese(full_client):
    """Guards the test above: DRF ships zh_Hans messages that LocaleMiddleware would pick."""
    body = _invalid_put(full_client).json()
    assert body["errors"]["marketing_consent"] != ["Must be a valid boolean."]


def test_a_401_stays_english_with_a_chinese_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get("/api/v1/members/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."
