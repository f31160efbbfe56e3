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
from members.models.ml_models import (
    FINISHED_RUN_STATUSES,
    MlTask,
    ModelVersion,
    ModelVersionStatus,
    ReviewTopicLabel,
    Topic,
    TrainingRun,
    TrainingRunStatus,
)
from members.models.member_models import ChurnScore, MemberModelKind, MemberModelVersion, SpendForecast
from members.models.segments import SegmentMembership, SegmentSnapshot
from members.models.order import Order, OrderItem, OrderStatus
from members.models.review import Review, Sentiment
from members.models.tier import Tier, TierChange, TierChangeSource, TierChangeStatus
from members.models.tier_policy import TierDowngradeWarning, TierPolicy, TierQualifyOn, TierUpgradesMode
from members.models.webhook import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription

__all__ = [
    "ApiKey",
    "Campaign",
    "CampaignAudience",
    "CampaignAudienceGroup",
    "CampaignOfferKind",
    "CampaignProposer",
    "CampaignStatus",
    "CampaignTargetKind",
    "FINISHED_RUN_STATUSES",
    "MlTask",
    "ModelVersion",
    "ModelVersionStatus",
    "ReviewTopicLabel",
    "Topic",
    "TrainingRun",
    "TrainingRunStatus",
    "ChurnScore",
    "ImportJob",
    "ImportJobStatus",
    "ImportKind",
    "Member",
    "MemberFeatures",
    "MemberModelKind",
    "MemberModelVersion",
    "MemberStatus",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Product",
    "Review",
    "Segment",
    "SegmentMembership",
    "SegmentSnapshot",
    "SpendForecast",
    "Sentiment",
    "Tier",
    "TierChange",
    "TierChangeSource",
    "TierChangeStatus",
    "TierDowngradeWarning",
    "TierPolicy",
    "TierQualifyOn",
    "TierUpgradesMode",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookSubscription",
]
