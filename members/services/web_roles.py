"""The Merchandisers permission group, kept in step with the models on every migrate.

Merchandisers use the web app (dashboard, reviews, and later segments, tier changes and
campaigns); they read the shop's data but do not edit it through the admin.
"""

from django.contrib.auth.models import Group, Permission

MERCHANDISERS_GROUP = "Merchandisers"

_MERCHANDISER_PERMISSIONS = {
    "member": ("view",),
    "order": ("view",),
    "orderitem": ("view",),
    "review": ("view",),
    "product": ("view",),
    "segment": ("view",),
    "tier": ("view",),
    "tierchange": ("view",),
}


def web_roles_ensure_groups() -> None:
    """Create or refresh the Merchandisers group; safe to call any number of times."""
    codenames = [f"{action}_{model}" for model, actions in _MERCHANDISER_PERMISSIONS.items() for action in actions]
    permissions = Permission.objects.filter(content_type__app_label="members", codename__in=codenames)
    group, _ = Group.objects.get_or_create(name=MERCHANDISERS_GROUP)
    group.permissions.set(permissions)
