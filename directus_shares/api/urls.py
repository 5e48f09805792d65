"""The share API: ``path("api/", include("directus_shares.api.urls"))`` gives

* ``shares/`` … – managing shares (authenticated; :class:`~.manage.ShareViewSet`), with
  ``shares/<id>/recipients/`` … – their recipients (:class:`~.manage.RecipientViewSet`), and
* ``shares/open/<token>/info|auth|code|verify|item/`` – opening a share (anonymous; :mod:`.open`).
"""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .manage import RecipientViewSet, ShareViewSet
from .open import (
    ShareAuthView,
    ShareCodeView,
    ShareFileDownloadView,
    ShareInfoView,
    ShareItemView,
    ShareOpenNotFoundView,
    ShareVerifyView,
)

app_name = "directus_shares_api"

#: The recipients of a share, nested in it (:class:`~.manage.RecipientViewSet`): a project that
#: registers :class:`~.manage.ShareViewSet` with its own router includes these beside it.
recipient_urlpatterns = [
    path(
        "shares/<str:id>/recipients/",
        RecipientViewSet.as_view({"get": "list", "post": "create"}),
        name="share-recipients",
    ),
    path(
        "shares/<str:id>/recipients/<str:recipient_id>/",
        RecipientViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="share-recipient",
    ),
    *(
        path(
            f"shares/<str:id>/recipients/<str:recipient_id>/{name}/",
            RecipientViewSet.as_view({"post": name.replace("-", "_")}),
            name=f"share-recipient-{name}",
        )
        for name in ("revoke", "enable", "rotate", "allow-device", "resend")
    ),
]

router = SimpleRouter()
router.register("shares", ShareViewSet, basename="share")

urlpatterns = [
    path("shares/open/<str:token>/info/", ShareInfoView.as_view(), name="open-info"),
    path("shares/open/<str:token>/auth/", ShareAuthView.as_view(), name="open-auth"),
    path("shares/open/<str:token>/code/", ShareCodeView.as_view(), name="open-code"),
    path("shares/open/<str:token>/verify/", ShareVerifyView.as_view(), name="open-verify"),
    path("shares/open/<str:token>/item/", ShareItemView.as_view(), name="open-item"),
    path(
        "shares/open/<str:token>/files/<str:reference>/",
        ShareFileDownloadView.as_view(),
        name="open-file",
    ),
    path("shares/open/<str:token>/<path:rest>", ShareOpenNotFoundView.as_view()),
    *recipient_urlpatterns,
    *router.urls,
]
