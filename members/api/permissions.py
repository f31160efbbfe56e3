"""Scope checks: each view declares the scopes it needs per method (read vs write)."""

from rest_framework import permissions

from members.models import ApiKey
from members.partners.scopes import READ_METHODS


def required_scopes(view, method: str) -> list[str]:
    """The scopes `view` needs for `method`: view.read_scopes for reads, view.write_scopes otherwise."""
    if method.upper() in READ_METHODS:
        return list(getattr(view, "read_scopes", ()))
    return list(getattr(view, "write_scopes", ()))


class HasScopes(permissions.BasePermission):
    """An API key needs every scope the view requires for the method.

    Staff browsing with a session (the browsable API): any active staff user may read everything;
    only superusers may write. Everyone else is unauthenticated (401).
    """

    message = "This API key lacks a required scope."

    def has_permission(self, request, view) -> bool:
        needed = required_scopes(view, request.method)
        if isinstance(request.auth, ApiKey):
            missing = [scope for scope in needed if scope not in request.auth.scopes]
            if missing:
                self.message = f"This API key lacks the scope(s): {', '.join(missing)}."
                return False
            return True
        user = request.user
        if user and user.is_authenticated and user.is_active and user.is_staff:
            if request.method.upper() in READ_METHODS:
                return True
            self.message = "Staff sessions may only read; writes need a superuser or an API key."
            return user.is_superuser
        return False
