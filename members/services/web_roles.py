"""The Merchandisers permission group, kept in step with the models on every migrate.

Merchandisers use the web app (dashboard, reviews, segments, tier changes, campaigns, models):
they read the shop's data, and the web pages let them decide tier changes and campaigns, build
rule segments, label reviews and train, promote or roll back the review models. Each of those
actions needs its permission (members/views/permissions.py); docs/roles.md lists the roles.
They do not change the tier ladder itself (members.change_tier).
"""

from django.contrib.auth.models import Group, Permission

MERCHANDISERS_GROUP = "Merchandisers"

_MERCHANDISER_PERMISSIONS = {
    "member": ("view",),
    "order": ("view",),
    "orderitem": ("view",),
    # Review labels are stored on the review row (members/services/labels.py), hence change_review.
    "review": ("view", "change"),
    "product": ("view",),
    "segment": ("view", "add", "change"),
    "tier": ("view",),
    "tierchange": ("view", "change"),
    "campaign": ("view", "add", "change"),
    "trainingrun": ("view", "add", "change"),
    "modelversion": ("view", "change"),
    # The Models page's backtest section: run one against the shop's own past (issue 11).
    "memberbacktest": ("view", "add"),
}


def web_roles_ensure_groups() -> None:
    """Create or refresh the Merchandisers group; safe to call any number of times."""
    codenames = [f"{action}_{model}" for model, actions in _MERCHANDISER_PERMISSIONS.items() for action in actions]
    permissions = Permission.objects.filter(content_type__app_label="members", codename__in=codenames)
    group, _ = Group.objects.get_or_create(name=MERCHANDISERS_GROUP)
    group.permissions.set(permissions)
