"""Include with ``path("share/", include("directus_shares.urls"))``."""

from __future__ import annotations

from django.urls import path

from .views import ShareFileView, ShareNotFoundView, SharePageView

app_name = "directus_shares"

urlpatterns = [
    path("<str:token>/files/<str:reference>/", ShareFileView.as_view(), name="file"),
    path("<str:token>/", SharePageView.as_view(), name="share"),
    # Without the slash too: APPEND_SLASH's redirect would carry none of the share headers.
    path("<str:token>", SharePageView.as_view()),
    # Every other path under the prefix: the share page's 404 with its headers (no-store, …).
    path("", ShareNotFoundView.as_view()),
    path("<path:rest>", ShareNotFoundView.as_view()),
]
