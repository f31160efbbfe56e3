"""API-key authentication: `Authorization: Bearer mh_...` or `X-API-Key: mh_...`."""

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from members.partners.services.api_keys import api_key_authenticate, api_key_mark_used

REALM = 'Bearer realm="memberhub-api"'


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Sets request.auth to the ApiKey (request.user stays anonymous: a key is not a person).

    No credentials: returns None so the next authenticator (staff session) may try, and a view
    that needs one answers 401. A credential that does not match an active key: 401 at once.
    """

    def authenticate(self, request):
        raw_key = self._raw_key(request)
        if raw_key is None:
            return None
        api_key = api_key_authenticate(raw_key=raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        api_key_mark_used(api_key=api_key)
        return AnonymousUser(), api_key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) with WWW-Authenticate when credentials are missing.
        return REALM

    @staticmethod
    def _raw_key(request) -> str | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <key>'.")
            return value.strip()
        value = request.META.get("HTTP_X_API_KEY", "").strip()
        return value or None
