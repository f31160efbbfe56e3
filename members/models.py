from members.campaigns.models import (
    Campaign,
    CampaignAudience,
    CampaignAudienceGroup,
    CampaignOfferKind,
    CampaignProposer,
    CampaignStatus,
    CampaignTargetKind,
)
from members.core.models.catalog import Product
from members.core.models.member import Member, MemberStatus, Segment
from members.core.models.order import Order, OrderItem, OrderStatus
from members.core.models.review import Review, Sentiment
from members.imports.models import ImportJob, ImportJobStatus, ImportKind
from members.operations.models import ScheduledRun, ScheduledRunStatus
from members.partners.models.api_key import ApiKey
from members.partners.models.webhook import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from members.predictions.models.features import MemberFeatures
from members.predictions.models.member_models import (
    ChurnScore,
    MemberBacktest,
    MemberBacktestStatus,
    MemberModelKind,
    MemberModelVersion,
    SpendForecast,
)
from members.recs.models import (
    MemberEmbedding,
    ProductEmbedding,
    Recommendation,
    RecsChunk,
    RecsRun,
    RecsRunKind,
    RecsRunStatus,
)
from members.reviews.models import (
    FINISHED_RUN_STATUSES,
    MlTask,
    ModelVersion,
    ModelVersionKind,
    ModelVersionStatus,
    ReviewTopicLabel,
    Topic,
    TrainingRun,
    TrainingRunStatus,
)
from members.segments.models import SegmentMembership, SegmentSnapshot
from members.tiers.models.tier import Tier, TierChange, TierChangeSource, TierChangeStatus
from members.tiers.models.tier_policy import TierDowngradeWarning, TierPolicy, TierQualifyOn, TierUpgradesMode

__all__ = [
    "FINISHED_RUN_STATUSES",
    "ApiKey",
    "Campaign",
    "CampaignAudience",
    "CampaignAudienceGroup",
    "CampaignOfferKind",
    "CampaignProposer",
    "CampaignStatus",
    "CampaignTargetKind",
    "ChurnScore",
    "ImportJob",
    "ImportJobStatus",
    "ImportKind",
    "Member",
    "MemberBacktest",
    "MemberBacktestStatus",
    "MemberEmbedding",
    "MemberFeatures",
    "MemberModelKind",
    "MemberModelVersion",
    "MemberStatus",
    "MlTask",
    "ModelVersion",
    "ModelVersionKind",
    "ModelVersionStatus",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Product",
    "ProductEmbedding",
    "Recommendation",
    "RecsChunk",
    "RecsRun",
    "RecsRunKind",
    "RecsRunStatus",
    "Review",
    "ReviewTopicLabel",
    "ScheduledRun",
    "ScheduledRunStatus",
    "Segment",
    "SegmentMembership",
    "SegmentSnapshot",
    "Sentiment",
    "SpendForecast",
    "Tier",
    "TierChange",
    "TierChangeSource",
    "TierChangeStatus",
    "TierDowngradeWarning",
    "TierPolicy",
    "TierQualifyOn",
    "TierUpgradesMode",
    "Topic",
    "TrainingRun",
    "TrainingRunStatus",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookSubscription",
]
