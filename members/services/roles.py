"""Staff permission groups, kept in step with the models on every migrate."""

from django.contrib.auth.models import Group, Permission

from members.services.web_roles import web_roles_ensure_groups

OPERATIONS_GROUP = "Operations"

# Operations staff manage the shop's day-to-day data but not the tier ladder's definition, nor
# campaigns or models (docs/roles.md; web actions: members/views/permissions.py).
_OPERATIONS_PERMISSIONS = {
    "member": ("view", "add", "change"),
    "order": ("view", "add", "change"),
    "orderitem": ("view", "add", "change", "delete"),
    "review": ("view", "add", "change", "delete"),
    "product": ("view", "add", "change"),
    "segment": ("view", "add", "change"),  # rule segments on the web pages
    "tier": ("view",),
    "tierchange": ("view", "add", "change"),
    "importjob": ("view", "add"),
    "scheduledrun": ("view", "change"),  # retry a failed nightly run on the System page
}


def roles_ensure_groups() -> None:
    """Create or refresh the staff groups; safe to call any number of times."""
    codenames = [f"{action}_{model}" for model, actions in _OPERATIONS_PERMISSIONS.items() for action in actions]
    permissions = Permission.objects.filter(content_type__app_label="members", codename__in=codenames)
    group, _ = Group.objects.get_or_create(name=OPERATIONS_GROUP)
    group.permissions.set(permissions)
    web_roles_ensure_groups()
