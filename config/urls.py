from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import favicon, healthz, metrics, readyz

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("borrowers.api_urls")),
    path("", include("cases.api_urls")),
    path("", include("compliance.api_urls")),
    path("", include("repayment_plans.api_urls")),
    path("", include("portal.api_urls")),
    path("", include("outreach.api_urls")),
    path("", include("webhooks.api_urls")),
]

# A path no route matches: {detail} in JSON under /api/, the site's 404 page elsewhere.
handler404 = "core.api.not_found"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from drf-spectacular-sidecar's static copy, with no inline script or style (under the CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("cases.urls")),
    path("", include("workspace.urls")),
    path("", include("repayment_plans.urls")),
    path("", include("webhooks.urls")),
    path("", include("supervision.urls")),
    path("", include("portal.urls")),
    path("", include("operations.urls")),
]
