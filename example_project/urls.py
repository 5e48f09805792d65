"""URLs of the demo site: the admin, the share pages and a plain report page for comparison."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from example_project.reports.views import ReportDetailView


def schema_urls() -> list:
    """The API's OpenAPI document and a browsable view of it, when drf-spectacular is installed.

    The split view serves Swagger UI's start-up script as a file of its own, so the page has no
    inline script and works under a Content-Security-Policy without 'unsafe-inline'.
    """
    try:
        from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
    except ImportError:  # pragma: no cover
        return []
    return [
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    ]


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/", admin.site.urls),
    path("share/", include("directus_shares.urls")),
    path("api/", include("directus_shares.api.urls")),
    *schema_urls(),
    path("reports/<int:pk>/", ReportDetailView.as_view(), name="report-detail"),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),  # empty unless DEBUG
]
