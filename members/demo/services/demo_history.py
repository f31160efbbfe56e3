"""The demo shop's past, so that every page shows what it is for on the first visit (`make demo`,
`manage.py demo_history`). Without it the tier ladder is 100 % entry tier (every upgrade waits
for approval), no campaign has results and no review has a person's label.

What it records, each through the service that owns it, all by one inactive staff user named
"Demo history" so nobody mistakes it for real people's work:
- tiers earned in past evaluations: the tier evaluation is run as of TIER_HISTORY_DAYS_AGO
  (oldest first) and each evaluation's proposals are approved, as a merchandiser would have
  done; the members' tiers then come from their real (replayed) orders. Today's evaluation
  (refresh_intelligence) proposes only what changed since.
- label corrections: 3-star reviews are neutral by their stars, but their writers said whether
  they would recommend the item (the data set's "Recommended IND"); up to LABEL_CORRECTIONS of
  them get that verdict as a person's sentiment label (positive / negative).
- campaigns already run: PAST_CAMPAIGNS on tier audiences are approved (audience frozen with a
  random holdout, sized by the power plan), dated to a finished window and measured on the
  orders of that window. No offer was ever sent: the rationale says so, and the measured uplift
  is what the replayed orders show (expect an interval around zero).

Idempotent: a step that finds its own earlier records does nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from members.campaigns.models import CampaignOfferKind, CampaignStatus, CampaignTargetKind
from members.models import Campaign, Review, Tier, TierChange
from members.tiers.models.tier import TierChangeSource, TierChangeStatus

HISTORY_USERNAME = "demo-history"
HISTORY_NOTE = "Demo history: approved in a past evaluation (manage.py demo_history)."
TIER_HISTORY_DAYS_AGO = (270, 180, 90)
LABEL_CORRECTIONS = 150


@dataclass(frozen=True)
class PastCampaign:
    name: str
    tier_rank: int  # 0 = the entry tier, 1 = the next ...
    offer_kind: str
    offer_value: Decimal
    starts_days_ago: int
    days: int


PAST_CAMPAIGNS = (
    PastCampaign("Spring free shipping for every member", 0, CampaignOfferKind.FREE_SHIPPING, Decimal(0), 75, 14),
    PastCampaign("Bonus points for the second tier", 1, CampaignOfferKind.BONUS_POINTS, Decimal(300), 45, 14),
)


def demo_history_user():
    user, _ = get_user_model().objects.get_or_create(
        username=HISTORY_USERNAME,
        defaults={"first_name": "Demo", "last_name": "history", "is_active": False, "is_staff": False},
    )
    return user


def demo_history_load(*, today: date | None = None) -> list[str]:
    """Record the demo shop's past (see the module doc); returns one line per step, in words."""
    today = today or timezone.localdate()
    user = demo_history_user()
    return [demo_tier_history(today=today, user=user), demo_label_corrections(user=user),
            demo_past_campaigns(today=today, user=user)]


def demo_tier_history(*, today: date, user) -> str:
    from members.tiers.services.tier_changes import tier_change_approve_many
    from members.tiers.services.tier_evaluation import tier_evaluation_run

    if TierChange.objects.filter(decided_by=user).exists():
        return "tiers: history already recorded"
    applied = 0
    for days_ago in TIER_HISTORY_DAYS_AGO:
        as_of = today - timedelta(days=days_ago)
        tier_evaluation_run(as_of=as_of, proposals_only=True)
        ids = list(TierChange.objects.filter(status=TierChangeStatus.PROPOSED, source=TierChangeSource.EVALUATION)
                   .values_list("pk", flat=True))
        result = tier_change_approve_many(tier_change_ids=ids, decided_by=user)
        decided = datetime.combine(as_of + timedelta(days=1), time(10), tzinfo=timezone.get_current_timezone())
        TierChange.objects.filter(pk__in=ids, decided_by=user, status=TierChangeStatus.APPLIED).update(
            decided_at=decided, decision_note=HISTORY_NOTE)
        applied += len(ids) - len(result.refused)
    held = Tier.objects.filter(members__isnull=False).distinct().count()
    return f"tiers: {applied} changes approved in evaluations {', '.join(map(str, TIER_HISTORY_DAYS_AGO))} days ago; " \
           f"members now hold {held} different tiers"


def demo_label_corrections(*, user) -> str:
    from members.demo.services.demo_shop import DEMO_PREFIX
    from members.demo.services.demo_shop_data import clothing_reviews_read
    from members.reviews.services.labels import review_sentiment_label_set

    if Review.objects.filter(labelled_by=user).exists():
        return "labels: corrections already recorded"
    verdict = {f"{DEMO_PREFIX}R{r.row_id}": ("positive" if r.recommended else "negative")
               for r in clothing_reviews_read() if r.rating == 3}
    candidates = list(Review.objects.filter(external_id__in=list(verdict), sentiment_label_human="")
                      .values_list("pk", "external_id"))
    # A stable, spread-out choice (not the first rows of the file).
    candidates.sort(key=lambda row: hashlib.sha256(row[1].encode()).hexdigest())
    for pk, external_id in candidates[:LABEL_CORRECTIONS]:
        review_sentiment_label_set(review_id=pk, label=verdict[external_id], user=user)
    done = min(len(candidates), LABEL_CORRECTIONS)
    return f"labels: {done} 3-star reviews labelled by their writers' own recommendation"


def demo_past_campaigns(*, today: date, user) -> str:
    from members.campaigns.services.campaign_results import campaign_measure
    from members.campaigns.services.campaigns import (
        CampaignError,
        CampaignSpec,
        campaign_approve,
        campaign_create,
    )

    if Campaign.objects.filter(proposed_by_user=user).exists():
        return "campaigns: past campaigns already recorded"
    tiers = list(Tier.objects.order_by("rank"))
    notes = []
    for past in PAST_CAMPAIGNS:
        if past.tier_rank >= len(tiers):
            continue
        tier = tiers[past.tier_rank]
        starts_on = today - timedelta(days=past.starts_days_ago)
        ends_on = starts_on + timedelta(days=past.days - 1)
        spec = CampaignSpec(
            name=past.name, target_kind=CampaignTargetKind.TIER, target_tier_id=tier.pk, offer_kind=past.offer_kind,
            offer_value=past.offer_value, starts_on=today + timedelta(days=1), ends_on=today + timedelta(days=past.days),
            rationale=(f"Demo history: recorded as run from {starts_on} to {ends_on} for tier {tier.name}. Its audience "
                       "and random holdout were drawn for real and its uplift is measured on the orders of that "
                       "window; no offer was actually sent, so expect no real effect."),
        )
        try:
            with transaction.atomic():
                campaign = campaign_create(spec=spec, proposed_by_user=user)
                campaign_approve(campaign_id=campaign.pk, approved_by=user)
                moment = datetime.combine(starts_on, time(9), tzinfo=timezone.get_current_timezone())
                Campaign.objects.filter(pk=campaign.pk).update(
                    starts_on=starts_on, ends_on=ends_on, status=CampaignStatus.COMPLETED,
                    approved_at=moment - timedelta(days=7), scheduled_at=moment - timedelta(days=7),
                    started_at=moment, completed_at=moment + timedelta(days=past.days),
                )
                measured = campaign_measure(campaign_id=campaign.pk)
        except CampaignError as exc:
            notes.append(f"{past.name}: not recorded ({exc})")
            continue
        uplift = (measured.actual_results or {}).get("uplift") or {}
        revenue = (uplift.get("incremental_revenue") or {}).get("estimate")
        notes.append(f"{past.name}: measured" + (f", incremental revenue {revenue:,.0f}" if revenue is not None else ""))
    return "campaigns: " + ("; ".join(notes) if notes else "no tiers to target")
