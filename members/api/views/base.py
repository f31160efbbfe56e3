"""What every partner API view shares: key/session auth, scopes, throttle, body limit, problem errors."""

from django.conf import settings
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
    """Subclasses set read_scopes / write_scopes (see members.api.scopes)."""

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
