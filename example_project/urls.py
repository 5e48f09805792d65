"""URLs of the demo site: the admin, the share pages and a plain report page for comparison."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from example_project.reports.views import ReportDetailView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/", admin.site.urls),
    path("share/", include("directus_shares.urls")),
    path("reports/<int:pk>/", ReportDetailView.as_view(), name="report-detail"),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),  # empty unless DEBUG
]
