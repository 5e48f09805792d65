"""URLs for tests/test_api_manage.py: the share API's manage routes and the share page."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from directus_shares.api.manage import ShareViewSet
from directus_shares.api.urls import recipient_urlpatterns

router = DefaultRouter()
router.register("shares", ShareViewSet, basename="share")

urlpatterns = [
    path("api/", include(router.urls)),
    path("api/", include(recipient_urlpatterns)),
    path("share/", include("directus_shares.urls")),
]
