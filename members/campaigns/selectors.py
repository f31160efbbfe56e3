"""Campaign reads: who a target means, the queue page, the detail page and the partner API's lists."""

from dataclasses import dataclass

from django.db.models import Count, F, Max, Q, QuerySet, Sum

from members.campaigns.models import APPROVED_CAMPAIGN_STATUSES
from members.core.models.order import REVENUE_STATUSES
from members.models import (
    Campaign,
    CampaignAudience,
    CampaignAudienceGroup,
    CampaignStatus,
    CampaignTargetKind,
    ChurnScore,
    Member,
    MemberStatus,
    OrderItem,
    Product,
    Segment,
    SpendForecast,
)
from members.recs.models import Recommendation
from members.segments.selectors import segment_members_queryset

# A member counts as "at churn risk" from this probability (latest ChurnScore) on.
CHURN_RISK_THRESHOLD = 0.6
SAMPLE_MEMBERS = 10
RECOMMENDED_PRODUCTS = 5


def campaign_audience_queryset(*, target_kind: str, segment_id: int | None = None,
                               tier_id: int | None = None) -> QuerySet[Member]:
    """Members a target means today: active and with marketing consent (we may only message those),
    in the segment (members.segments.selectors: learned or rule) / tier, or flagged by the latest spend forecast (near next tier) or churn scores
    (probability >= CHURN_RISK_THRESHOLD). Lazy: nothing is queried until it is evaluated, except
    the segment or the latest as-of date of the forecasts / scores (one query)."""
    members = Member.objects.filter(status=MemberStatus.ACTIVE, marketing_consent=True)
    if target_kind == CampaignTargetKind.SEGMENT:
        segment = Segment.objects.get(pk=segment_id)
        return segment_members_queryset(segment=segment).filter(status=MemberStatus.ACTIVE, marketing_consent=True)
    if target_kind == CampaignTargetKind.TIER:
        return members.filter(tier_id=tier_id)
    if target_kind == CampaignTargetKind.NEAR_NEXT_TIER:
        latest = SpendForecast.objects.aggregate(d=Max("as_of"))["d"]
        flagged = SpendForecast.objects.filter(as_of=latest, likely_to_reach_next_tier=True)
        return members.filter(pk__in=flagged.values("member_id"))
    if target_kind == CampaignTargetKind.AT_CHURN_RISK:
        latest = ChurnScore.objects.aggregate(d=Max("as_of"))["d"]
        flagged = ChurnScore.objects.filter(as_of=latest, probability__gte=CHURN_RISK_THRESHOLD)
        return members.filter(pk__in=flagged.values("member_id"))
    raise ValueError(f"Unknown campaign target {target_kind!r}.")


def campaign_target_members(*, campaign: Campaign) -> QuerySet[Member]:
    return campaign_audience_queryset(
        target_kind=campaign.target_kind, segment_id=campaign.target_segment_id, tier_id=campaign.target_tier_id
    )


def campaign_queue(*, statuses: tuple[str, ...], limit: int) -> list[Campaign]:
    """Campaigns in `statuses`, newest first, with their target and people: one query."""
    return list(
        Campaign.objects.filter(status__in=statuses)
        .select_related("target_segment", "target_tier", "approved_by", "proposed_by_user", "rejected_by")
        .order_by("-created_at", "-id")[:limit]
    )


def campaign_get(*, campaign_id: int) -> Campaign:
    """One campaign with its target and people; raises Campaign.DoesNotExist."""
    return Campaign.objects.select_related(
        "target_segment", "target_tier", "approved_by", "proposed_by_user", "rejected_by"
    ).get(pk=campaign_id)


@dataclass(frozen=True)
class CampaignDetail:
    campaign: Campaign
    target_size: int
    holdout_size: int
    estimated_size: int | None  # before approval: the target's size today
    sample_members: list[Member]
    recommended_products: list[Product]
    recommended_from: str


def campaign_detail(*, campaign_id: int) -> CampaignDetail:
    """Everything the detail page shows, in five queries whatever the audience size: campaign, group
    counts (or today's estimate), sample members, and recommended products (one or two queries)."""
    campaign = campaign_get(campaign_id=campaign_id)
    frozen = campaign.status in APPROVED_CAMPAIGN_STATUSES
    if frozen:
        counts = dict(
            CampaignAudience.objects.filter(campaign=campaign).values_list("group").annotate(n=Count("id"))
        )
        target, holdout, estimate = counts.get("target", 0), counts.get("holdout", 0), None
        members = Member.objects.filter(
            campaign_audiences__campaign=campaign, campaign_audiences__group=CampaignAudienceGroup.TARGET
        )
    elif campaign.status == CampaignStatus.REJECTED:
        target = holdout = 0
        estimate, members = None, Member.objects.none()
    else:
        members = campaign_target_members(campaign=campaign)
        target, holdout, estimate = 0, 0, members.count()
    sample = list(members.select_related("tier").order_by("pk")[:SAMPLE_MEMBERS])
    products, source = campaign_recommended_products(campaign=campaign, members=members)
    return CampaignDetail(campaign, target, holdout, estimate, sample, products, source)


def campaign_recommended_products(*, campaign: Campaign, members: QuerySet[Member]) -> tuple[list[Product], str]:
    """Products to feature: the recommendation engine's most-recommended products for the audience
    when it has recommendations for them, otherwise the active products (in the focus category, if
    any) the audience spent most on. Returns the products and a phrase saying where they came from."""
    audience = members.values("pk")
    recommended = Recommendation.objects.filter(member__in=audience, product__active=True)
    items = OrderItem.objects.filter(order__member__in=audience, order__status__in=REVENUE_STATUSES,
                                     product__active=True)
    if campaign.focus_category:
        recommended = recommended.filter(product__category=campaign.focus_category)
        items = items.filter(product__category=campaign.focus_category)
    ids = list(recommended.values("product").annotate(n=Count("id")).order_by("-n", "product")
               .values_list("product", flat=True)[:RECOMMENDED_PRODUCTS])
    source = "most often recommended to this audience"
    if not ids:
        ids = list(items.values("product").annotate(spend=Sum(F("quantity") * F("unit_price")))
                   .order_by("-spend", "product").values_list("product", flat=True)[:RECOMMENDED_PRODUCTS])
        source = "what this audience buys most"
    by_id = Product.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id], source


def campaign_api_queryset() -> QuerySet[Campaign]:
    """Campaigns partners may read: approved ones (approved, scheduled, running, completed)."""
    return (Campaign.objects.filter(status__in=APPROVED_CAMPAIGN_STATUSES)
            .select_related("target_segment", "target_tier").prefetch_related("focus_products")
            .annotate(target_size=Count("audience", filter=Q(audience__group=CampaignAudienceGroup.TARGET))))


def campaign_api_audience_queryset(*, campaign_id: int) -> QuerySet[CampaignAudience]:
    """The members to message for one approved campaign: the target group only, never the holdout."""
    return CampaignAudience.objects.filter(
        campaign_id=campaign_id, campaign__status__in=APPROVED_CAMPAIGN_STATUSES, group=CampaignAudienceGroup.TARGET
    ).select_related("member")
