from members.models.api_key import ApiKey
from members.models.campaigns import (
    Campaign,
    CampaignAudience,
    CampaignAudienceGroup,
    CampaignOfferKind,
    CampaignProposer,
    CampaignStatus,
    CampaignTargetKind,
)
from members.models.catalog import Product
from members.models.features import MemberFeatures
from members.models.import_job import ImportJob, ImportJobStatus, ImportKind
from members.models.member import Member, MemberStatus, Segment
from members.models.member_models import (
    ChurnScore,
    MemberBacktest,
    MemberBacktestStatus,
    MemberModelKind,
    MemberModelVersion,
    SpendForecast,
)
from members.models.ml_models import (
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
from members.models.order import Order, OrderItem, OrderStatus
from members.models.recommendation import MemberEmbedding, ProductEmbedding, Recommendation
from members.models.review import Review, Sentiment
from members.models.scheduled_run import ScheduledRun, ScheduledRunStatus
from members.models.segments import SegmentMembership, SegmentSnapshot
from members.models.tier import Tier, TierChange, TierChangeSource, TierChangeStatus
from members.models.tier_policy import TierDowngradeWarning, TierPolicy, TierQualifyOn, TierUpgradesMode
from members.models.webhook import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription

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
    "MemberEmbedding",
    "ProductEmbedding",
    "Recommendation",
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
