"""The open-a-share API mounted as a project would, for tests/test_api_open.py."""

from django.urls import include, path

from directus_shares.api.open import (
    ShareAuthView,
    ShareCodeView,
    ShareFileDownloadView,
    ShareInfoView,
    ShareItemView,
    ShareVerifyView,
)

urlpatterns = [
    path("api/shares/open/<str:token>/info/", ShareInfoView.as_view()),
    path("api/shares/open/<str:token>/auth/", ShareAuthView.as_view()),
    path("api/shares/open/<str:token>/code/", ShareCodeView.as_view()),
    path("api/shares/open/<str:token>/verify/", ShareVerifyView.as_view()),
    path("api/shares/open/<str:token>/item/", ShareItemView.as_view()),
    path("api/shares/open/<str:token>/files/<str:reference>/", ShareFileDownloadView.as_view()),
    path("share/", include("directus_shares.urls")),
]
