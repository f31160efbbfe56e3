"""Every API error in one shape: RFC 9457 problem details (application/problem+json).

{"type": "urn:memberhub:problem:<code>", "title": ..., "status": ..., "detail": ...,
 "instance": "<request path>", "errors": {"field": ["message", ...]}}   (errors: validation only)
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.views import exception_handler

from members.api.parsers import RequestTooLarge, body_limit_detail

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:memberhub:problem:"

_TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Too many requests",
}


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [...], "items[0].sku": [...]}; top-level lists become
    "non_field_errors"."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    flat.update(flatten_errors(item, f"{prefix}[{index}]"))
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def problem_exception_handler(exc, context):
    """DRF's handler (it adds Retry-After and WWW-Authenticate), with the body reshaped."""
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(body_limit_detail())
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django log it and answer a plain 500 without a stack trace
    request = context.get("request")
    code = _code(exc)
    problem = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}",
        "title": _TITLES.get(response.status_code, "Error"),
        "status": response.status_code,
        "detail": _detail(exc),
        "instance": request.get_full_path() if request is not None else "",
    }
    if isinstance(exc, exceptions.ValidationError):
        problem["errors"] = flatten_errors(exc.detail)
    response.data = problem
    if not isinstance(getattr(request, "accepted_renderer", None), BrowsableAPIRenderer):
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _code(exc) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "validation_error"
    if isinstance(exc, exceptions.APIException):
        return exc.default_code
    return "not_found" if getattr(exc, "status_code", None) == status.HTTP_404_NOT_FOUND else "error"


def _detail(exc) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "The request has invalid fields; see errors."
    detail = getattr(exc, "detail", None)
    if isinstance(detail, str):
        return str(detail)
    if detail is not None:
        return "; ".join(f"{k}: {v}" for k, v in flatten_errors(detail).items())
    return str(exc) or _TITLES.get(getattr(exc, "status_code", 0), "Error")
