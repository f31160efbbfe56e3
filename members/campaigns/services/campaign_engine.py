"""The campaign engine: propose campaigns where it expects an effect, each with a rationale.

Signals (docs/campaigns.md lists the thresholds and why):
- tier proximity: members the spend forecast expects to reach the next tier -> bonus points;
- churn risk: members whose latest churn probability is high -> a win-back discount;
- category affinity: a segment or tier spending a much larger share on one category than the
  member base -> an offer on that category;
- price sensitivity: the share of the group's item revenue bought below list price, against the
  member base's, picks the offer: a discount for bargain hunters, early access for the rest.
A candidate becomes a proposal only when its predicted incremental revenue exceeds the offer's
estimated cost, and when the same target + offer is not already open or recently rejected. When its
audience is too small for the holdout to measure the predicted change (campaign_stats.power_plan),
it says so up front: the rationale ends with why, and predicted_effect["measurable"] is False (the
queue shows "too small to measure" beside the name). A shop of a few thousand members would
otherwise get no proposal at all: the demo shop's largest audiences need 5,000-24,000 members.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, Sum
from django.utils import timezone

from members.campaigns.models import OPEN_CAMPAIGN_STATUSES, CampaignStatus
from members.campaigns.selectors import CHURN_RISK_THRESHOLD, campaign_audience_queryset
from members.campaigns.services.campaign_predictor import (
    CampaignPredictor,
    audience_features,
    campaign_predictor_build,
)
from members.campaigns.services.campaigns import CampaignSpec, campaign_create
from members.core.models.order import REVENUE_STATUSES
from members.models import Campaign, CampaignOfferKind, CampaignTargetKind, OrderItem, Segment, Tier
from ml.campaigns.stats import power_plan

ENGINE_MIN_AUDIENCE = 20  # below this the engine proposes nothing: one message per friend is not a campaign
ENGINE_LEAD_DAYS = 7  # proposals start a week out: time to review and to prepare the messages
ENGINE_DURATION_DAYS = 14
REJECTED_COOLDOWN_DAYS = 30  # a rejected idea is not proposed again for this long
AFFINITY_MIN_SHARE = 0.20  # the category is at least a fifth of the group's spend ...
AFFINITY_MIN_LIFT = 1.5  # ... and 1.5x its share in the member base
PRICE_SENSITIVE_RATIO = 1.25  # discounted-revenue share vs the member base's
PRICE_INSENSITIVE_RATIO = 0.75
AFFINITY_DISCOUNT_PCT = Decimal(10)
CHURN_DISCOUNT_PCT = Decimal(15)
TIER_BONUS_POINTS = Decimal(500)
# Cost assumptions for the budget (merchandisers edit budgets inline): a point is worth 1 cent,
# and a free shipment costs the shop this much on average.
POINT_VALUE = Decimal("0.01")
FREE_SHIPPING_COST = Decimal("4.95")
LOOKBACK_DAYS = 365
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Candidate:
    key: str
    name: str
    target_kind: str
    offer_kind: str
    offer_value: Decimal
    rationale: str
    segment_id: int | None = None
    tier_id: int | None = None
    focus_category: str = ""


def campaign_engine_propose(*, today: date | None = None) -> list[Campaign]:
    """Create today's proposals (status proposed, proposer engine); returns the new campaigns.
    Idempotent: a target + offer already open, or rejected in the last REJECTED_COOLDOWN_DAYS, is skipped."""
    today = today or timezone.localdate()
    blocked = set(Campaign.objects.filter(
        Q(status__in=OPEN_CAMPAIGN_STATUSES)
        | Q(status=CampaignStatus.REJECTED, rejected_at__gte=timezone.now() - timedelta(days=REJECTED_COOLDOWN_DAYS)),
    ).exclude(engine_key="").values_list("engine_key", flat=True))
    predictor = campaign_predictor_build()
    created = []
    for candidate in campaign_engine_candidates(today=today):
        if candidate.key in blocked:
            continue
        campaign = _propose(candidate=candidate, predictor=predictor, today=today)
        if campaign is not None:
            created.append(campaign)
    return created


def _propose(*, candidate: Candidate, predictor: CampaignPredictor, today: date) -> Campaign | None:
    members = campaign_audience_queryset(target_kind=candidate.target_kind, segment_id=candidate.segment_id,
                                         tier_id=candidate.tier_id)
    features = audience_features(members=members, duration_days=ENGINE_DURATION_DAYS, as_of=today)
    if features.audience_size < ENGINE_MIN_AUDIENCE:
        return None
    effect = predictor.predict(features=features, offer_kind=candidate.offer_kind, offer_value=candidate.offer_value,
                               duration_days=ENGINE_DURATION_DAYS, has_focus=bool(candidate.focus_category))
    cost = offer_cost(offer_kind=candidate.offer_kind, offer_value=candidate.offer_value,
                      redeemers=effect["redemption_rate"]["estimate"] * features.audience_size,
                      avg_order_value=features.avg_order_value)
    gain = effect["incremental_revenue"]["estimate"]
    if gain <= float(cost):
        return None
    plan = power_plan(audience_size=features.audience_size, baseline_rate=float(effect.get("baseline_rate", 0.0)),
                      expected_rate=float(effect["redemption_rate"]["estimate"]))
    starts_on = today + timedelta(days=ENGINE_LEAD_DAYS)
    spec = CampaignSpec(
        name=candidate.name, target_kind=candidate.target_kind, offer_kind=candidate.offer_kind,
        offer_value=candidate.offer_value, target_segment_id=candidate.segment_id, target_tier_id=candidate.tier_id,
        focus_category=candidate.focus_category, budget=cost, starts_on=starts_on,
        ends_on=starts_on + timedelta(days=ENGINE_DURATION_DAYS - 1),
        rationale=(f"{candidate.rationale} {features.audience_size:,} members with marketing consent; expected "
                   f"incremental revenue {gain:,.2f} against an estimated offer cost of {cost:,.2f}."
                   + ("" if plan.measurable else f" Too small to measure: {plan.explanation}")),
    )
    campaign = campaign_create(spec=spec, engine_key=candidate.key, predictor=predictor)
    Campaign.objects.filter(pk=campaign.pk).update(
        predicted_effect={**campaign.predicted_effect, "measurable": plan.measurable})
    campaign.predicted_effect = {**campaign.predicted_effect, "measurable": plan.measurable}
    return campaign


def offer_cost(*, offer_kind: str, offer_value: Decimal, redeemers: float, avg_order_value: float) -> Decimal:
    """What the offer is expected to cost the shop: redeemers x (discount on an average order, the
    points' value, or a shipment); early access costs nothing."""
    r, aov = Decimal(str(redeemers)), Decimal(str(avg_order_value))
    per_redeemer = {
        CampaignOfferKind.DISCOUNT_PCT: aov * offer_value / 100,
        CampaignOfferKind.BONUS_POINTS: offer_value * POINT_VALUE,
        CampaignOfferKind.FREE_SHIPPING: FREE_SHIPPING_COST,
        CampaignOfferKind.EARLY_ACCESS: Decimal(0),
    }[offer_kind]
    return (r * per_redeemer).quantize(CENT, rounding=ROUND_HALF_UP)


def campaign_engine_candidates(*, today: date | None = None) -> list[Candidate]:
    """Every candidate the signals suggest (before the audience-size and cost checks), from the
    year of orders up to the end of `today` (default: today): a replay of a past date reads no
    later order."""
    today = today or timezone.localdate()
    candidates = [
        Candidate(key="near_next_tier:bonus_points", name="Nudge to the next tier: bonus points",
                  target_kind=CampaignTargetKind.NEAR_NEXT_TIER, offer_kind=CampaignOfferKind.BONUS_POINTS,
                  offer_value=TIER_BONUS_POINTS,
                  rationale="Tier proximity: the spend forecast expects these members to reach the next tier "
                            "soon; bonus points on the next order pull that purchase forward."),
        Candidate(key="at_churn_risk:discount_pct", name="Win back members at churn risk",
                  target_kind=CampaignTargetKind.AT_CHURN_RISK, offer_kind=CampaignOfferKind.DISCOUNT_PCT,
                  offer_value=CHURN_DISCOUNT_PCT,
                  rationale=f"Churn risk: the churn model gives these members a probability of at least "
                            f"{CHURN_RISK_THRESHOLD:.0%} of not ordering in 90 days; a win-back discount targets them."),
    ]
    # Learned segments only: Member.segment is their membership, so one grouped query covers them all.
    # Rule segments are the merchandisers' own audiences; campaigns for them are proposed by hand.
    segments = dict(Segment.objects.filter(kind=Segment.Kind.LEARNED, active=True).values_list("pk", "name"))
    tiers = dict(Tier.objects.values_list("pk", "name"))
    candidates += _group_candidates(field="order__member__segment_id", names=segments,
                                    target_kind=CampaignTargetKind.SEGMENT, label="segment", today=today)
    candidates += _group_candidates(field="order__member__tier_id", names=tiers,
                                    target_kind=CampaignTargetKind.TIER, label="tier", today=today)
    return candidates


def _offer_for(ratio: float) -> tuple[str, Decimal, str]:
    """Bargain hunters get a discount, full-price buyers early access, the rest free shipping."""
    if ratio >= PRICE_SENSITIVE_RATIO:
        return CampaignOfferKind.DISCOUNT_PCT, AFFINITY_DISCOUNT_PCT, "a discount"
    if ratio <= PRICE_INSENSITIVE_RATIO:
        return CampaignOfferKind.EARLY_ACCESS, Decimal(0), "early access rather than a discount"
    return CampaignOfferKind.FREE_SHIPPING, Decimal(0), "free shipping rather than a discount"


def _group_candidates(*, field: str, names: dict[int, str], target_kind: str, label: str, today: date
                      ) -> list[Candidate]:  # fmt: skip
    """Category affinity and price sensitivity per group, from one grouped query over the year of
    items up to the end of `today`."""
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())
    rows = (OrderItem.objects.filter(order__status__in=REVENUE_STATUSES, order__placed_at__lt=until,
                                     order__placed_at__gte=until - timedelta(days=LOOKBACK_DAYS))
            .exclude(product__category="").values(field, "product__category").order_by()
            .annotate(spend=Sum(F("quantity") * F("unit_price")),
                      discounted=Sum(F("quantity") * F("unit_price"), filter=Q(unit_price__lt=F("product__price")))))
    by_group: dict[int | None, dict[str, tuple[float, float]]] = {}
    for row in rows:  # groups x categories: tens to hundreds of rows
        by_group.setdefault(row[field], {})[row["product__category"]] = (
            float(row["spend"] or 0), float(row["discounted"] or 0))
    # The member base includes members in no group (None), e.g. those no learned segment holds.
    base_spend: dict[str, float] = {}
    for cats in by_group.values():
        for cat, (spend, _) in cats.items():
            base_spend[cat] = base_spend.get(cat, 0.0) + spend
    base_total = sum(base_spend.values())
    base_discounted = sum(d for cats in by_group.values() for _, d in cats.values())
    if base_total <= 0:
        return []
    base_discount_share = base_discounted / base_total
    out = []
    for group_id, cats in sorted((k, v) for k, v in by_group.items() if k is not None):
        if group_id not in names:
            continue
        total = sum(s for s, _ in cats.values())
        if total <= 0:
            continue
        cat, (spend, _) = max(cats.items(), key=lambda kv: (kv[1][0] / total) / (base_spend[kv[0]] / base_total))
        share, lift = spend / total, (spend / total) / (base_spend[cat] / base_total)
        if share < AFFINITY_MIN_SHARE or lift < AFFINITY_MIN_LIFT:
            continue
        discount_share = sum(d for _, d in cats.values()) / total
        ratio = discount_share / base_discount_share if base_discount_share else 1.0
        offer, value, why = _offer_for(ratio)
        if base_discount_share > 0:
            pricing = (f"price sensitivity: {discount_share:.0%} of its spend was bought below list price against "
                       f"{base_discount_share:.0%} overall, so {why}")
        else:  # nothing sold below list price: the signal says nothing, and the rationale says so
            pricing = "nothing in the shop sold below list price last year, so no sign of price sensitivity: " + why
        out.append(Candidate(
            key=f"{label}:{group_id}:{cat}:{offer}",
            name=f"{cat} for {label} {names[group_id]}",
            target_kind=target_kind, offer_kind=offer, offer_value=value, focus_category=cat,
            segment_id=group_id if target_kind == CampaignTargetKind.SEGMENT else None,
            tier_id=group_id if target_kind == CampaignTargetKind.TIER else None,
            rationale=(f"Category affinity: {label} {names[group_id]} spends {share:.0%} of its money on {cat}, "
                       f"{lift:.1f}x the member base's share; {pricing}."),
        ))
    return out
