from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from tests.admin_sites import composed

urlpatterns = [
    path("admin/", admin.site.urls),
    path("composed-admin/", composed.urls),
    path("share/", include("directus_shares.urls")),
    path("api/", include("directus_shares.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]
