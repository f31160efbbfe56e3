"""OpenAPI helpers: every operation states its scopes and documents problem-details errors."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from members.api.exceptions import PROBLEM_CONTENT_TYPE


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="urn:memberhub:problem:<code>")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Validation errors by field (400 only).",
    )


_PROBLEM = OpenApiResponse(ProblemSerializer, description="Problem details (RFC 9457).")
_COMMON_ERRORS = (401, 403, 429)
_WRITE_ERRORS = (400, 413, 415)


def problems(*codes: int) -> dict:
    return {(code, PROBLEM_CONTENT_TYPE): _PROBLEM for code in codes}


def api_operation(*, summary: str, scopes: tuple[str, ...], description: str = "", write: bool = False,
                  detail: bool = False, responses=None, **kwargs):
    """extend_schema with the required scopes in the description and the error responses listed."""
    codes = [*_COMMON_ERRORS, 400]
    if write:
        codes += [c for c in _WRITE_ERRORS if c not in codes]
    if detail and not write:
        codes.append(404)
    scope_text = ", ".join(f"`{s}`" for s in scopes) or "none"
    full_description = f"{description}\n\n**Required scopes:** {scope_text}.".strip()
    merged = {**(responses or {}), **problems(*codes)}
    return extend_schema(summary=summary, description=full_description, responses=merged, **kwargs)
