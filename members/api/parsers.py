"""A JSON parser that refuses bodies over settings.API_MAX_BODY_BYTES without reading them whole."""

import io

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def body_limit_detail() -> str:
    return f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes."


class LimitedJSONParser(JSONParser):
    """Reads at most API_MAX_BODY_BYTES + 1 bytes: a chunked body or a lying Content-Length cannot
    make the server buffer more than the limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(body_limit_detail())
        if not body.strip():
            return {}
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:  # the decoder recurses per level: thousands of nested [ or { exhaust it
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
