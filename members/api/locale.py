"""The partner API speaks English whatever language the browser or session asks for.

LocaleMiddleware (memberhub/settings.py) activates zh-hans for Chinese browsers, and DRF ships
Chinese messages: field errors such as "This field is required." would come back translated. API
clients match on stable codes and English text (docs/api.md), so requests under /api/ switch back
to English before any view or serializer runs.
"""

from django.utils import translation

API_PATH_PREFIX = "/api/"


class ApiEnglishMiddleware:
    """Must sit after LocaleMiddleware, which activates the request's language first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        with translation.override("en"):
            request.LANGUAGE_CODE = "en"
            response = self.get_response(request)
        # LocaleMiddleware would otherwise label the response with the language it picked.
        response.headers["Content-Language"] = "en"
        return response
