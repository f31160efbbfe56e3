"""What every partner API view shares: key/session auth, scopes, throttle, body limit, problem errors."""

from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, viewsets
from rest_framework.authentication import SessionAuthentication

from members.api.authentication import ApiKeyAuthentication
from members.api.pagination import IdCursorPagination
from members.api.parsers import LimitedJSONParser, RequestTooLarge, body_limit_detail
from members.api.permissions import HasScopes
from members.api.throttling import ApiKeyRateThrottle

# What DRF raises before it gets to the throttles: bad key, no credentials, missing scope.
REFUSED_BEFORE_THROTTLING = (exceptions.AuthenticationFailed, exceptions.NotAuthenticated, exceptions.PermissionDenied)


class ApiViewSet(viewsets.GenericViewSet):
    """Subclasses set read_scopes / write_scopes (see members.partners.scopes)."""

    authentication_classes = (ApiKeyAuthentication, SessionAuthentication)
    permission_classes = (HasScopes,)
    throttle_classes = (ApiKeyRateThrottle,)
    parser_classes = (LimitedJSONParser,)
    pagination_class = IdCursorPagination
    read_scopes: tuple[str, ...] = ()
    write_scopes: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        # Refuse an announced oversized body before authenticating or reading a byte of it.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            self.format_kwarg = self.get_format_suffix(**kwargs)
            neg = self.perform_content_negotiation(request)
            request.accepted_renderer, request.accepted_media_type = neg
            raise RequestTooLarge(body_limit_detail())
        try:
            super().initial(request, *args, **kwargs)
        except REFUSED_BEFORE_THROTTLING:
            # DRF throttles only after authentication and permissions pass, so key guessing and
            # keyless floods were never limited (issue 13, D14). Count the refused request too (per
            # address; per key when the key was good but lacks a scope): over the limit it gets 429.
            self.check_throttles(request)
            raise

    def filter_queryset(self, queryset):
        # django-filter builds a form class and validates a form on every request, about a tenth of
        # a 100-row page. With none of the filters in the query string that work filters nothing.
        # (A prefix match, so suffixed parameters like `<name>_after` still take the full path.)
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None and list(self.filter_backends) == [DjangoFilterBackend]:
            params, names = self.request.query_params, filterset_class.base_filters
            if not any(param.startswith(name) for param in params for name in names):
                return queryset
        return super().filter_queryset(queryset)


class LeanListMixin:
    """GET list from values() rows, shaped by `list_rows_out` (see members/api/serializers/lean.py).

    Subclasses set `list_fields` (the values() to read; "id" for the cursor) and `list_rows_out`
    (staticmethod: page rows -> output dicts). serializer_class still documents the answer and serves
    retrieve and writes; the lean rows must equal its output. Same filters, cursor and query count.
    """

    list_fields: tuple[str, ...] = ()
    list_rows_out = None

    def list(self, request, *args, **kwargs):
        # values() drops select_related; prefetches cannot run on dicts, so the page fetches its own.
        rows = self.filter_queryset(self.get_queryset().prefetch_related(None)).values(*self.list_fields)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.list_rows_out(page))
