"""Staff permission groups, kept in step with the models on every migrate (docs/roles.md).

Operations staff manage the shop's day-to-day data in the admin, but not the tier ladder's
definition, nor campaigns or models. Merchandisers use the web app (dashboard, reviews, segments,
tier changes, campaigns, models): they read the shop's data, decide tier changes and campaigns,
build rule segments, label reviews and train, promote or roll back the review models. Each web
action needs its permission (members/web/permissions.py). Neither changes the tier ladder
itself (members.change_tier).
"""

from django.contrib.auth.models import Group, Permission

OPERATIONS_GROUP = "Operations"
MERCHANDISERS_GROUP = "Merchandisers"

# Group -> model -> actions.
GROUP_PERMISSIONS = {
    OPERATIONS_GROUP: {
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
    },
    MERCHANDISERS_GROUP: {
        "member": ("view",),
        "order": ("view",),
        "orderitem": ("view",),
        # Review labels are stored on the review row (members/reviews/services/labels.py), hence change_review.
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
    },
}


def roles_ensure_groups() -> None:
    """Create or refresh every staff group; safe to call any number of times."""
    for name, models in GROUP_PERMISSIONS.items():
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        permissions = Permission.objects.filter(content_type__app_label="members", codename__in=codenames)
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
