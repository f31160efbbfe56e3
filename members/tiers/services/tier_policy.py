"""Writes for the tier policy: the active version, and saving a new one.

Saving never re-tiers anyone directly: it records a new version (with a snapshot of the ladder's
thresholds), updates the thresholds on Tier, and queues an evaluation that only *proposes*
changes (upgrades included, whatever upgrades_mode says), for staff to approve.
"""

import itertools
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from members.models import Tier, TierPolicy, TierQualifyOn, TierUpgradesMode
from members.task_queue import task_send_on_commit
from members.tiers.selectors.tiers import tier_thresholds

MAX_WINDOW_DAYS = 3650


class TierPolicyError(ValueError):
    """A policy that cannot be saved, with a reason a person can read."""


def tier_policy_active() -> TierPolicy:
    """The active policy; creates version 1 (defaults + a snapshot of the ladder) on first use."""
    policy = TierPolicy.objects.filter(is_active=True).first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return TierPolicy.objects.create(
                version=1, is_active=True, thresholds=_snapshot(tier_thresholds()), note="Initial policy."
            )
    except IntegrityError:  # another process created it first
        return TierPolicy.objects.get(is_active=True)


def tier_policy_save(
    *,
    qualifying_window_days: int,
    downgrade_grace_days: int,
    upgrades_mode: str,
    qualify_on: str,
    thresholds: dict[str, dict],
    created_by,
    note: str = "",
    evaluate_as_of: date | None = None,
) -> TierPolicy:
    """Create and activate the next policy version; returns it.

    `thresholds` maps tier codes to {"min_spend", "min_orders"}; tiers not named keep theirs.
    In one transaction: the previous version is deactivated (row-locked, so two saves queue), the
    tiers get their new thresholds, and the new version stores the resulting ladder. After
    commit, an evaluation for `evaluate_as_of` (default today) is queued with proposals only.
    Raises TierPolicyError for unknown tiers, negative values or a ladder whose thresholds fall
    as the rank rises.
    """
    _validate(qualifying_window_days, downgrade_grace_days, upgrades_mode, qualify_on)
    with transaction.atomic():
        TierPolicy.objects.select_for_update().filter(is_active=True).exists()
        ladder = tier_thresholds(overrides=_clean_thresholds(thresholds))
        _validate_ladder(ladder)
        stored = {t.pk: t for t in Tier.objects.select_for_update().order_by("rank")}
        changed = []
        for row in ladder:
            tier = stored[row.tier_id]
            if (tier.min_spend, tier.min_orders) != (row.min_spend, row.min_orders):
                tier.min_spend, tier.min_orders = row.min_spend, row.min_orders
                changed.append(tier)
        Tier.objects.bulk_update(changed, ["min_spend", "min_orders"])
        version = (TierPolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        TierPolicy.objects.filter(is_active=True).update(is_active=False)
        policy = TierPolicy.objects.create(
            version=version,
            is_active=True,
            qualifying_window_days=qualifying_window_days,
            downgrade_grace_days=downgrade_grace_days,
            upgrades_mode=upgrades_mode,
            qualify_on=qualify_on,
            thresholds=_snapshot(ladder),
            note=note.strip(),
            created_by=created_by,
        )
        as_of = (evaluate_as_of or timezone.localdate()).isoformat()
        task_send_on_commit(
            "members.tiers.evaluate", kwargs={"as_of": as_of, "policy_id": policy.pk, "proposals_only": True}
        )
    return policy


def tier_thresholds_parse(raw: dict[str, dict]) -> dict[str, dict]:
    """Validate {code: {"min_spend", "min_orders"}} from a form; raises TierPolicyError in words."""
    return _clean_thresholds(raw)


def _clean_thresholds(raw: dict[str, dict]) -> dict[str, dict]:
    known = set(Tier.objects.values_list("code", flat=True))
    unknown = sorted(set(raw) - known)
    if unknown:
        raise TierPolicyError(f"Unknown tier(s): {', '.join(unknown)}.")
    clean = {}
    for code, values in raw.items():
        try:
            spend = Decimal(str(values.get("min_spend"))).quantize(Decimal("0.01"))
            orders = int(values.get("min_orders"))
        except (InvalidOperation, TypeError, ValueError):
            raise TierPolicyError(f"{code}: minimum spend and orders must be numbers.") from None
        if spend < 0 or orders < 0:
            raise TierPolicyError(f"{code}: thresholds cannot be negative.")
        clean[code] = {"min_spend": spend, "min_orders": orders}
    return clean


def _validate(window: int, grace: int, upgrades_mode: str, qualify_on: str) -> None:
    if not 1 <= window <= MAX_WINDOW_DAYS:
        raise TierPolicyError(f"The qualifying window must be 1 to {MAX_WINDOW_DAYS} days.")
    if not 0 <= grace <= MAX_WINDOW_DAYS:
        raise TierPolicyError(f"The grace period must be 0 to {MAX_WINDOW_DAYS} days.")
    if upgrades_mode not in TierUpgradesMode.values:
        raise TierPolicyError(f"Unknown upgrades mode {upgrades_mode!r}.")
    if qualify_on not in TierQualifyOn.values:
        raise TierPolicyError(f"Unknown qualification rule {qualify_on!r}.")


def _validate_ladder(ladder) -> None:
    for lower, higher in itertools.pairwise(ladder):
        if higher.min_spend < lower.min_spend or higher.min_orders < lower.min_orders:
            raise TierPolicyError(
                f"{higher.name} cannot need less than {lower.name}: thresholds rise with the rank."
            )


def _snapshot(ladder) -> dict:
    return {t.code: t.as_json() for t in ladder}
