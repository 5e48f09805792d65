from django.contrib import admin
from django.urls import include, path

from tests.admin_sites import composed

urlpatterns = [
    path("admin/", admin.site.urls),
    path("composed-admin/", composed.urls),
    path("share/", include("directus_shares.urls")),
]
