"""Which Django permission each web-app action needs: the same ones the admin checks.

The one place that maps a state-changing page action to its permissions; docs/roles.md lists
the groups that hold them. Views declare their action with `web_action_view("...")`, which also
applies `web_app_view` (signed in, in a web-app group). A user without the permissions gets a
403 page and nothing is written.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from members.web.access import web_app_view

WEB_ACTION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # /tier-changes/: approve or reject proposals (admin: change a proposed TierChange).
    "tier_change_decide": ("members.change_tierchange",),
    # /tiers/ "Save as new version": changes the ladder's thresholds (admin: change Tier).
    "tier_policy_save": ("members.change_tier", "members.add_tierpolicy"),
    # /campaigns/: propose a campaign; edit, approve or reject one.
    "campaign_create": ("members.add_campaign",),
    "campaign_decide": ("members.change_campaign",),
    # /segments/: build a rule segment; rename, edit or archive one.
    "segment_create": ("members.add_segment",),
    "segment_change": ("members.change_segment",),
    # /models/: start or cancel a training run; promote or roll back a model version.
    "training_run_start": ("members.add_trainingrun",),
    "training_run_cancel": ("members.change_trainingrun",),
    "model_version_activate": ("members.change_modelversion",),
    # /models/ "Run a backtest": scores every member model against the shop's own past.
    "member_backtest_start": ("members.add_memberbacktest",),
    # /reviews/<id>/: a person's sentiment or topic correction (stored on the review).
    "review_label": ("members.change_review",),
}


def user_may(*, user, action: str) -> bool:
    """Whether `user` holds every permission `action` needs (superusers always do)."""
    return user.has_perms(WEB_ACTION_PERMISSIONS[action])


def web_action_view(action: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """`web_app_view` plus the permissions of `action` (a key of WEB_ACTION_PERMISSIONS)."""
    if action not in WEB_ACTION_PERMISSIONS:
        raise KeyError(f"Unknown web action {action!r}; add it to WEB_ACTION_PERMISSIONS.")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not user_may(user=request.user, action=action):
                return render(
                    request,
                    "web/forbidden_action.html",
                    {"action": action, "permissions": WEB_ACTION_PERMISSIONS[action]},
                    status=403,
                )
            return view(request, *args, **kwargs)

        return web_app_view(wrapped)

    return decorator
