"""URLs of the merchandiser web app, included at the site root by memberhub/urls.py."""

from django.contrib.auth import views as auth_views
from django.urls import path

from members.views import dashboard, models_page, review_detail, reviews, tier_changes, tiers

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
    # Review intelligence (members/views/models_page.py, members/views/review_detail.py).
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
    path("tier-changes/", tier_changes.tier_change_list, name="tier-changes"),
    path("tier-changes/decide/", tier_changes.tier_change_decide_many, name="tier-change-decide-many"),
    path("tier-changes/<int:tier_change_id>/approve/", tier_changes.tier_change_decide,
         {"action": "approve"}, name="tier-change-approve"),
    path("tier-changes/<int:tier_change_id>/reject/", tier_changes.tier_change_decide,
         {"action": "reject"}, name="tier-change-reject"),
    path("tiers/", tiers.tier_ladder_page, name="tiers"),
    path("tiers/what-if/", tiers.tier_policy_preview, name="tier-policy-preview"),
    path("tiers/policy/", tiers.tier_policy_save_view, name="tier-policy-save"),
]
