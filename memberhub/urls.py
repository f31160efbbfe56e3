from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from memberhub.observability.health import healthz, readyz
from memberhub.observability.metrics import metrics_view
from members.operations.admin import system_page, system_retry

urlpatterns = [
    path("", include("members.web.urls")),  # the merchandiser web app
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (the admin, the API docs).
    path("favicon.ico", lambda request: redirect(static("web/favicon.svg"), permanent=True)),
    # The language switch (Django's set_language: POST language + next; stores a cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # Staff-only operations page (members/operations/admin.py), inside the admin's look and login.
    path("admin/system/", admin.site.admin_view(system_page), name="admin-system"),
    path(
        "admin/system/retry/<str:kind>/<int:job_id>/",
        admin.site.admin_view(system_retry),
        name="admin-system-retry",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("members.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
