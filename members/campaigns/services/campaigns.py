"""Campaign writes: create, edit, approve (freeze the audience with a holdout), reject, advance.

The lifecycle is TRANSITIONS; every status change goes through `_claim`, a conditional UPDATE from
the allowed previous statuses, so two merchandisers deciding at once cannot both win, and an
illegal move raises CampaignError saying what the campaign is and what the move needs.
Measurement after the end lives in members.campaigns.services.campaign_results.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, Value, When
from django.db.models.functions import MD5, Cast, Concat, Substr
from django.utils import timezone

from members.campaigns.selectors import campaign_target_members
from members.campaigns.services.campaign_predictor import (
    CampaignPredictor,
    audience_features,
    campaign_predictor_build,
)
from members.models import (
    Campaign,
    CampaignAudience,
    CampaignAudienceGroup,
    CampaignOfferKind,
    CampaignProposer,
    CampaignStatus,
    CampaignTargetKind,
)
from members.partners.models.webhook import WebhookEvent
from members.partners.services.webhooks import webhook_event_publish
from ml.campaigns.stats import (
    HASH_PREFIX_DIGITS,
    PowerPlan,
    holdout_threshold_hex,
    power_plan,
    two_proportion_power,
)

S = CampaignStatus
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PROPOSED: (S.APPROVED, S.REJECTED),
    S.APPROVED: (S.SCHEDULED, S.REJECTED),
    S.SCHEDULED: (S.RUNNING,),
    S.RUNNING: (S.COMPLETED,),
    S.COMPLETED: (),
    S.REJECTED: (),
}
MAX_DISCOUNT_PCT = Decimal(90)


class CampaignError(ValueError):
    """A campaign operation that cannot be done, with a reason a person can read."""


def _allowed_from(to_status: str) -> tuple[str, ...]:
    return tuple(s for s, targets in TRANSITIONS.items() if to_status in targets)


def _claim(*, campaign_id: int, to_status: str, **fields) -> None:
    """Move the campaign to `to_status` if TRANSITIONS allows it from its current status; else raise."""
    allowed = _allowed_from(to_status)
    moved = Campaign.objects.filter(pk=campaign_id, status__in=allowed).update(
        status=to_status, updated_at=timezone.now(), **fields)
    if moved == 1:
        return
    current = Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True).first()
    if current is None:
        raise Campaign.DoesNotExist(f"No campaign #{campaign_id}.")
    needs = " or ".join(S(s).label.lower() for s in allowed)
    raise CampaignError(
        f"Campaign #{campaign_id} is {S(current).label.lower()}; only a {needs} campaign can become "
        f"{S(to_status).label.lower()}."
    )


# ---- create and edit ----------------------------------------------------------------------------


@dataclass
class CampaignSpec:
    """What a person or the engine proposes. Offer value: percent for discounts, points for bonus points."""

    name: str
    target_kind: str
    offer_kind: str
    starts_on: date
    ends_on: date
    offer_value: Decimal = Decimal(0)
    target_segment_id: int | None = None
    target_tier_id: int | None = None
    focus_category: str = ""
    focus_product_ids: list[int] = field(default_factory=list)
    budget: Decimal | None = None
    rationale: str = ""


def _validate(spec: CampaignSpec) -> None:
    if spec.target_kind not in CampaignTargetKind.values:
        raise CampaignError(f"Unknown target {spec.target_kind!r}.")
    if spec.offer_kind not in CampaignOfferKind.values:
        raise CampaignError(f"Unknown offer {spec.offer_kind!r}.")
    if spec.target_kind == CampaignTargetKind.SEGMENT and not spec.target_segment_id:
        raise CampaignError("Choose the segment this campaign targets.")
    if spec.target_kind == CampaignTargetKind.TIER and not spec.target_tier_id:
        raise CampaignError("Choose the tier this campaign targets.")
    if spec.ends_on < spec.starts_on:
        raise CampaignError("The campaign cannot end before it starts.")
    if spec.offer_value < 0 or (spec.budget is not None and spec.budget < 0):
        raise CampaignError("Offer value and budget cannot be negative.")
    if spec.offer_kind == CampaignOfferKind.DISCOUNT_PCT and not (0 < spec.offer_value <= MAX_DISCOUNT_PCT):
        raise CampaignError(f"A discount must be more than 0 % and at most {MAX_DISCOUNT_PCT} %.")
    if spec.offer_kind == CampaignOfferKind.BONUS_POINTS and spec.offer_value <= 0:
        raise CampaignError("Bonus points need a number of points above 0.")


def campaign_predict(*, campaign: Campaign, predictor: CampaignPredictor | None = None) -> dict:
    """The predicted effect for the campaign's current target and offer (does not save it)."""
    duration = (campaign.ends_on - campaign.starts_on).days + 1
    features = audience_features(members=campaign_target_members(campaign=campaign), duration_days=duration)
    return (predictor or campaign_predictor_build()).predict(
        features=features, offer_kind=campaign.offer_kind, offer_value=campaign.offer_value,
        duration_days=duration, has_focus=bool(campaign.focus_category),
    )


def campaign_create(*, spec: CampaignSpec, proposed_by_user=None, engine_key: str = "",
                    predictor: CampaignPredictor | None = None) -> Campaign:
    """Create a proposed campaign with its prediction. proposed_by is "engine" when `engine_key` is
    given, otherwise the user. Raises CampaignError for an invalid spec."""
    _validate(spec)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=spec.name, target_kind=spec.target_kind, target_segment_id=spec.target_segment_id,
            target_tier_id=spec.target_tier_id, offer_kind=spec.offer_kind, offer_value=spec.offer_value,
            focus_category=spec.focus_category, budget=spec.budget, starts_on=spec.starts_on, ends_on=spec.ends_on,
            rationale=spec.rationale, engine_key=engine_key,
            proposed_by=CampaignProposer.ENGINE if engine_key else CampaignProposer.USER,
            proposed_by_user=proposed_by_user,
        )
        if spec.focus_product_ids:
            campaign.focus_products.set(spec.focus_product_ids)
        campaign.predicted_effect = campaign_predict(campaign=campaign, predictor=predictor)
        campaign.save(update_fields=["predicted_effect"])
    return campaign


def campaign_update_proposal(*, campaign_id: int, offer_value: Decimal | None = None, budget: Decimal | None = None,
                             clear_budget: bool = False, target_kind: str | None = None,
                             target_segment_id: int | None = None, target_tier_id: int | None = None) -> Campaign:
    """Edit a proposed campaign's offer value, budget or audience, and predict its effect again.
    Raises CampaignError when the campaign is no longer proposed or the edit is invalid."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != S.PROPOSED:
            raise CampaignError(
                f"Campaign #{campaign_id} is {S(campaign.status).label.lower()}; only a proposed campaign can be edited.")
        if offer_value is not None:
            campaign.offer_value = offer_value
        if budget is not None or clear_budget:
            campaign.budget = budget
        if target_kind is not None:
            campaign.target_kind = target_kind
            campaign.target_segment_id = target_segment_id if target_kind == CampaignTargetKind.SEGMENT else None
            campaign.target_tier_id = target_tier_id if target_kind == CampaignTargetKind.TIER else None
        _validate(_spec_of(campaign))
        campaign.predicted_effect = campaign_predict(campaign=campaign)
        campaign.save()
    return campaign


def _spec_of(c: Campaign) -> CampaignSpec:
    return CampaignSpec(name=c.name, target_kind=c.target_kind, offer_kind=c.offer_kind, starts_on=c.starts_on,
                        ends_on=c.ends_on, offer_value=c.offer_value, target_segment_id=c.target_segment_id,
                        target_tier_id=c.target_tier_id, budget=c.budget)


# ---- approve and reject -------------------------------------------------------------------------


def campaign_approve(*, campaign_id: int, approved_by) -> Campaign:
    """Approve a proposed campaign and schedule it, in one transaction:

    1. freeze today's audience into CampaignAudience rows (one INSERT ... SELECT), holding out a
       random, stable share sized by the power estimate (ml.campaigns.stats);
    2. record the measurement plan (power, holdout share, "too small to measure" when it is);
    3. move proposed -> approved -> scheduled (every campaign carries its dates, so nothing else
       waits), and publish `campaign.approved` to webhook subscribers after commit.

    Raises CampaignError when the campaign is not proposed, already over, or its audience is empty.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status == S.PROPOSED and campaign.ends_on < timezone.localdate():
            raise CampaignError(f"Campaign #{campaign_id} ended on {campaign.ends_on}; change its dates first.")
        now = timezone.now()
        _claim(campaign_id=campaign_id, to_status=S.APPROVED, approved_by=approved_by, approved_at=now)
        members = campaign_target_members(campaign=campaign)
        size = members.count()
        if size == 0:
            raise CampaignError(
                f"Campaign #{campaign_id} has no audience today: nobody matches its target with marketing consent.")
        predicted = campaign.predicted_effect or {}
        baseline = predicted.get("baseline_rate", 0.0)
        expected = (predicted.get("redemption_rate") or {}).get("estimate", baseline)
        plan = power_plan(audience_size=size, baseline_rate=baseline, expected_rate=expected)
        _freeze_audience(campaign_id=campaign_id, members=members, holdout_share=plan.holdout_share)
        Campaign.objects.filter(pk=campaign_id).update(measurement_plan=_actual_plan(campaign_id, plan))
        _claim(campaign_id=campaign_id, to_status=S.SCHEDULED, scheduled_at=now)
        campaign.refresh_from_db()
        _publish_approved(campaign=campaign)
    return campaign


def _freeze_audience(*, campaign_id: int, members, holdout_share: float) -> None:
    """INSERT ... SELECT the audience; group by the md5 prefix (see campaign_stats.holdout_bucket)."""
    prefix = Substr(MD5(Concat(Value(f"{campaign_id}:"), Cast("pk", CharField()))), 1, HASH_PREFIX_DIGITS)
    rows = members.order_by().alias(hash_prefix=prefix).annotate(
        a_campaign=Value(campaign_id),
        a_member=F("pk"),
        a_group=Case(
            When(hash_prefix__lt=holdout_threshold_hex(holdout_share), then=Value(CampaignAudienceGroup.HOLDOUT)),
            default=Value(CampaignAudienceGroup.TARGET),
            output_field=CharField(),
        ),
    ).values_list("a_campaign", "a_member", "a_group")
    sql, params = rows.query.sql_with_params()
    table = connection.ops.quote_name(CampaignAudience._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in ("campaign_id", "member_id", "group"))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)


def _actual_plan(campaign_id: int, plan: PowerPlan) -> dict:
    """The plan with the drawn group sizes (the hash draw is random, so they only approximate the
    share) and the power those sizes give."""
    sizes = dict(CampaignAudience.objects.filter(campaign_id=campaign_id).values_list("group")
                 .annotate(n=Count("id")).order_by())
    held, target = sizes.get(CampaignAudienceGroup.HOLDOUT, 0), sizes.get(CampaignAudienceGroup.TARGET, 0)
    power = two_proportion_power(p_control=plan.baseline_rate, p_treatment=plan.expected_rate,
                                 n_control=held, n_treatment=target)
    return {**plan.as_dict(), "holdout_size": held, "target_size": target, "power": power}


def _publish_approved(*, campaign: Campaign) -> None:
    plan = campaign.measurement_plan or {}
    webhook_event_publish(event=WebhookEvent.CAMPAIGN_APPROVED, payload={
        "campaign_id": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "target": {"kind": campaign.target_kind, "segment_id": campaign.target_segment_id,
                   "tier_id": campaign.target_tier_id},
        "offer": {"kind": campaign.offer_kind, "value": str(campaign.offer_value)},
        "focus_category": campaign.focus_category,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "budget": str(campaign.budget) if campaign.budget is not None else None,
        "audience_size": plan.get("target_size", 0),
        "approved_at": campaign.approved_at.isoformat(),
        "audience_url": f"/api/v1/campaigns/{campaign.pk}/audience/",
    })


def campaign_reject(*, campaign_id: int, rejected_by, reason: str) -> Campaign:
    """Reject a proposed (or approved, not yet scheduled) campaign; the reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError("Say why the campaign is rejected: the engine and your colleagues learn from it.")
    _claim(campaign_id=campaign_id, to_status=S.REJECTED, rejected_by=rejected_by, rejected_at=timezone.now(),
           rejection_reason=reason)
    return Campaign.objects.get(pk=campaign_id)


@dataclass(frozen=True)
class BulkResult:
    decided: list[int]
    refused: dict[int, str]


def campaign_decide_many(*, campaign_ids: list[int], action: str, user, reason: str = "") -> BulkResult:
    """Approve or reject each campaign on its own (each in its own transaction); collect refusals."""
    decided, refused = [], {}
    for campaign_id in campaign_ids:  # a handful selected on the page, each with its own audience
        try:
            if action == "approve":
                campaign_approve(campaign_id=campaign_id, approved_by=user)
            else:
                campaign_reject(campaign_id=campaign_id, rejected_by=user, reason=reason)
            decided.append(campaign_id)
        except (CampaignError, Campaign.DoesNotExist) as exc:
            refused[campaign_id] = str(exc) or "No such campaign."
    return BulkResult(decided, refused)


# ---- running --------------------------------------------------------------------------------------


def campaign_transition(*, campaign_id: int, to_status: str) -> None:
    """Move a campaign along its lifecycle (start, complete); raises CampaignError if illegal.
    Approval and rejection have their own services: they carry more than a status."""
    if to_status in (S.APPROVED, S.REJECTED, S.SCHEDULED):
        raise CampaignError(f"Use campaign_approve / campaign_reject to make a campaign {S(to_status).label.lower()}.")
    stamp = {S.RUNNING: "started_at", S.COMPLETED: "completed_at"}[to_status]
    _claim(campaign_id=campaign_id, to_status=to_status, **{stamp: timezone.now()})


def campaign_advance(*, today: date | None = None) -> dict[str, int]:
    """Daily: scheduled campaigns whose start day has come start running; running ones past their
    end day complete. Two conditional UPDATEs; safe to run any number of times."""
    today, now = today or timezone.localdate(), timezone.now()
    started = Campaign.objects.filter(status=S.SCHEDULED, starts_on__lte=today).update(
        status=S.RUNNING, started_at=now, updated_at=now)
    completed = Campaign.objects.filter(status=S.RUNNING, ends_on__lt=today).update(
        status=S.COMPLETED, completed_at=now, updated_at=now)
    return {"started": started, "completed": completed}

