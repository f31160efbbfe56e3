"""URLs of the merchandiser web app, included at the site root by memberhub/urls.py."""

from django.contrib.auth import views as auth_views
from django.urls import path

from members.campaigns import views as campaign_views
from members.core import views as member_detail
from members.dashboard import views as dashboard
from members.predictions import views as member_backtest
from members.recs import views as recommendation_views
from members.reviews.views import models_page, review_detail, reviews
from members.segments import views as segments
from members.tiers.views import tier_changes, tiers

app_name = "web"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True, next_page="web:dashboard"
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="web:login"), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("dashboard/members/", dashboard.dashboard_members, name="dashboard-members"),
    path("dashboard/revenue/", dashboard.dashboard_revenue, name="dashboard-revenue"),
    path("dashboard/tiers/", dashboard.dashboard_tiers, name="dashboard-tiers"),
    path("dashboard/reviews/", dashboard.dashboard_reviews, name="dashboard-reviews"),
    path("reviews/", reviews.review_list, name="reviews"),
    # Review intelligence (members/reviews/views/models_page.py, members/reviews/views/review_detail.py).
    path("reviews/insights/", review_detail.review_insights, name="review-insights"),
    path("reviews/<str:external_id>/", review_detail.review_detail, name="review-detail"),
    path("reviews/<str:external_id>/sentiment/", review_detail.review_label_sentiment, name="review-label-sentiment"),
    path("reviews/<str:external_id>/topics/<int:topic_id>/", review_detail.review_label_topic,
         name="review-label-topic"),
    path("models/", models_page.models_page, name="models"),
    path("models/runs/", models_page.training_run_start, name="model-run-start"),
    path("models/runs/<int:run_id>/", models_page.training_run_row, name="model-run"),
    path("models/runs/<int:run_id>/cancel/", models_page.training_run_cancel_view, name="model-run-cancel"),
    path("models/versions/<int:version_id>/promote/", models_page.model_version_promote_view,
         name="model-version-promote"),
    path("models/<str:task>/rollback/", models_page.model_rollback_view, name="model-rollback"),
    path("models/compare/", models_page.model_compare, name="model-compare"),
    path("models/topics/train/", models_page.topic_model_train_view, name="topic-model-train"),
    path("models/backtests/", member_backtest.member_backtest_section, name="member-backtests"),
    path("models/backtests/start/", member_backtest.member_backtest_start, name="member-backtest-start"),
    path("tier-changes/", tier_changes.tier_change_list, name="tier-changes"),
    path("tier-changes/decide/", tier_changes.tier_change_decide_many, name="tier-change-decide-many"),
    path("tier-changes/<int:tier_change_id>/approve/", tier_changes.tier_change_decide,
         {"action": "approve"}, name="tier-change-approve"),
    path("tier-changes/<int:tier_change_id>/reject/", tier_changes.tier_change_decide,
         {"action": "reject"}, name="tier-change-reject"),
    path("tiers/", tiers.tier_ladder_page, name="tiers"),
    path("tiers/what-if/", tiers.tier_policy_preview, name="tier-policy-preview"),
    path("tiers/policy/", tiers.tier_policy_save_view, name="tier-policy-save"),
    # Recommendations (members/recs/views.py).
    path("recommendations/", recommendation_views.recommendations_page, name="recommendations"),
    path("recommendations/members/", recommendation_views.recommendation_member_search,
         name="recommendation-member-search"),
    path("recommendations/members/<str:external_id>/", recommendation_views.recommendation_member,
         name="recommendation-member"),
    path("recommendations/products/", recommendation_views.recommendation_product_search,
         name="recommendation-product-search"),
    path("recommendations/buyers/", recommendation_views.recommendation_buyers, name="recommendation-buyers"),
    # Segments and member detail (members/segments/views.py, members/core/views.py).
    path("segments/", segments.segment_list, name="segments"),
    path("segments/new/", segments.segment_rule_new, name="segment-rule-new"),
    path("segments/preview/", segments.segment_rule_preview, name="segment-rule-preview"),
    path("segments/<int:segment_id>/", segments.segment_detail, name="segment-detail"),
    path("segments/<int:segment_id>/rename/", segments.segment_rename_view, name="segment-rename"),
    path("segments/<int:segment_id>/edit/", segments.segment_rule_edit, name="segment-rule-edit"),
    path("segments/<int:segment_id>/archive/", segments.segment_rule_archive_view, name="segment-rule-archive"),
    path("members/<str:external_id>/", member_detail.member_detail, name="member-detail"),
    # Campaign planning (members/campaigns/views.py).
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign-new"),
    path("campaigns/decide/", campaign_views.campaign_decide_many_view, name="campaign-decide-many"),
    path("campaigns/<int:campaign_id>/", campaign_views.campaign_detail_page, name="campaign-detail"),
    path("campaigns/<int:campaign_id>/row/", campaign_views.campaign_row, name="campaign-row"),
    path("campaigns/<int:campaign_id>/edit/", campaign_views.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:campaign_id>/approve/", campaign_views.campaign_decide, {"action": "approve"},
         name="campaign-approve"),
    path("campaigns/<int:campaign_id>/reject/", campaign_views.campaign_decide, {"action": "reject"},
         name="campaign-reject"),
]
