"""Managing shares through the API for signed-in users: the rules are :mod:`..sharing`'s, this
module answers them in JSON (a share the user may not manage is a 404).

Register with a router: ``router.register("shares", ShareViewSet, basename="share")``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import lockout
from ..models import Share, ShareQuerySet, ShareRecipient
from ..sharing import (
    RecipientRefused,
    RecipientsRefused,
    add_recipients,
    allow_one_more_device,
    delete_recipient,
    managed_recipients,
    managed_shares,
    recipient_links_to_send,
    recipients_to_send,
    reenable_recipient,
    resend_refusal,
    revoke_recipient,
    rotate_recipient,
    sending_refusal,
)
from ..tasks import Delivery, queue_recipient_links, queue_share_link
from .errors import ErrorShape
from .permissions import ManagesShare
from .schema import Described, error_responses, schema, schema_view
from .serializers import (
    AddedRecipientsSerializer,
    AddRecipientsSerializer,
    DeliverySerializer,
    InviteResultSerializer,
    InviteSerializer,
    RecipientSerializer,
    ShareFilterSerializer,
    ShareSerializer,
    api_errors,
    content_type_from_label,
)


class SharePagination(PageNumberPagination):
    """25 shares a page; ``?page_size=`` up to 100."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


# Signed out (401, or 403 where the first authentication class has no challenge), not allowed
# (403), a share the user does not manage (404), and the project's throttles (429); a body that
# does not validate (400) or is in a format no parser reads (415).
_ERRORS = error_responses(401, 403, 429)
_BODY_ERRORS = error_responses(401, 403, 415, 429)


#: Why ``invite`` with ``recipient_links`` did not mail a revoked recipient.
RECIPIENT_REVOKED_DETAIL = gettext_lazy(
    "This recipient's link is revoked: enable it again first (…/recipients/<id>/enable/)."
)


class ConflictError(APIException):
    """409 ``{"code": default_code, "detail": …}``: the share or recipient is in a state that
    refuses the request; nothing was done."""

    status_code = status.HTTP_409_CONFLICT

    def __init__(self, detail: str) -> None:
        super().__init__(detail, self.default_code)


class NotOpenableError(ConflictError):
    """409 ``not_openable``: nobody could open the share, so its link is not sent
    (:func:`..sharing.sending_refusal` says why)."""

    default_code = "not_openable"


def recipients_error(refused: RecipientsRefused) -> serializers.ValidationError:
    """400 for addresses :func:`..sharing.recipients_to_send` refused, under ``recipients``
    (and, when none was valid, the invalid ones under ``invalid``)."""
    errors: dict[str, Any] = {"recipients": refused.messages}
    if refused.code == "required":  # only invalid ones: say which
        errors["invalid"] = refused.invalid
    return serializers.ValidationError(errors)


@schema_view(
    retrieve=schema(responses={200: ShareSerializer, **_ERRORS}),
    partial_update=schema(responses={200: ShareSerializer, **_BODY_ERRORS}),
    destroy=schema(responses={204: None, **_ERRORS}),
)
class ShareViewSet(ErrorShape, Described, viewsets.ModelViewSet):
    """List, read, create, change and delete shares; revoke, re-enable, rotate, unlock, invite."""

    summary = gettext_lazy(
        "Your shares: list, create, read, change and delete them; revoke, re-enable, give a new "
        "link, unlock or e-mail one."
    )

    serializer_class = ShareSerializer
    permission_classes = [IsAuthenticated, ManagesShare]
    pagination_class = SharePagination

    def get_queryset(self) -> QuerySet[Share]:
        shares = managed_shares(self.request.user).select_related("role", "content_type")
        if self.action == "list":
            shares = self._filter(shares)
        return shares

    #: The locks of the page being listed (see :meth:`paginate_queryset`).
    share_locks: dict[object, lockout.ShareLock] | None = None

    def get_serializer_context(self) -> dict[str, Any]:
        context = {**super().get_serializer_context(), "now": timezone.now()}
        return {**context, "share_locks": self.share_locks}

    def paginate_queryset(self, queryset: Any) -> list[Any] | None:
        """The page, with the locks of its shares looked up at once (``locked_until``)."""
        page = super().paginate_queryset(queryset)
        if page is not None:
            self.share_locks = lockout.share_locks(page)
        return page

    def _filter(self, shares: ShareQuerySet) -> ShareQuerySet:
        """Apply the list's query parameters; a malformed one is a 400 naming it."""
        params = ShareFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        wanted = params.validated_data
        if "object" in wanted:
            label, colon, pk = wanted["object"].rpartition(":")
            if not colon or not pk:
                raise serializers.ValidationError({"object": _("Use “app_label.model:pk”.")})
            shares = shares.filter(content_type=self._content_type("object", label), object_pk=pk)
        if "content_type" in wanted:
            shares = shares.filter(
                content_type=self._content_type("content_type", wanted["content_type"])
            )
        if "created_by" in wanted:  # others see only their own shares anyway
            shares = shares.filter(created_by_id=wanted["created_by"])
        if "status" in wanted:
            shares = shares.with_status(wanted["status"], timezone.now())
        return shares

    @staticmethod
    def _content_type(parameter: str, label: str) -> ContentType:
        try:
            return content_type_from_label(label)
        except ContentType.DoesNotExist:
            raise serializers.ValidationError(
                {parameter: _("There is no model “%(label)s”.") % {"label": label}}
            ) from None

    @schema(parameters=[ShareFilterSerializer], responses={200: ShareSerializer, **_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @schema(responses={201: ShareSerializer, **_BODY_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Share an object (``content_type`` + ``object_pk``); 403 ``sharing_denied`` when the
        user may not share it or give it that role."""
        return super().create(request, *args, **kwargs)

    @schema(responses={200: ShareSerializer, **_BODY_ERRORS})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().update(request, *args, **kwargs)

    @schema(request=None, responses={200: ShareSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Switch the share off now; every visitor's access ends."""
        share = self.get_object()
        if not share.is_revoked:
            share.revoke()
        return self._share_response(share)

    @schema(request=None, responses={200: ShareSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def reenable(self, request: Request, pk: str | None = None) -> Response:
        """Switch a revoked share on again."""
        share = self.get_object()
        if share.is_revoked:
            share.reenable()
        return self._share_response(share)

    @schema(request=None, responses={200: ShareSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk: str | None = None) -> Response:
        """Give the share a new link; the old one and every access made with it stop at once."""
        share = self.get_object()
        share.rotate_key()
        share.save(update_fields=["key"])
        return self._share_response(share)

    @schema(request=None, responses={200: ShareSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: str | None = None) -> Response:
        """End the lock that too many wrong passwords put on the share (``locked_until``): its
        password can be tried again at once. Addresses that guessed wrong stay limited."""
        share = self.get_object()
        lockout.unlock(share)
        return self._share_response(share)

    @schema(
        request=InviteSerializer,
        responses={
            200: InviteResultSerializer,
            202: InviteResultSerializer,
            **error_responses(401, 403, 409, 415, 429),
        },
    )
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, pk: str | None = None) -> Response:
        """E-mail the link to each address (the admin's "Send link"), as a task of Django's task
        framework: ``{"sent": [...], "failed": {address: error}, "queued": [...], "invalid":
        [...]}``. 200 when the mails went out during the request (an immediate backend, the
        default), each address reported on its own; 202 when they are queued for a worker
        (``queued``), whose failures are logged there. 409 ``not_openable`` when nobody could
        open the share (revoked, expired, used up, grants nothing)."""
        share = self.get_object()
        if refusal := sending_refusal(share):
            raise NotOpenableError(refusal)
        given = InviteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            valid, invalid = recipients_to_send(
                given.validated_data["recipients"], skip_invalid=True
            )
        except RecipientsRefused as refused:
            raise recipients_error(refused) from None
        if given.validated_data["recipient_links"]:
            delivery = self._send_recipient_links(share, valid, given.validated_data["message"])
        else:
            delivery = queue_share_link(
                share,
                request.build_absolute_uri(share.get_absolute_url()),
                valid,
                sender=request.user,
                message=given.validated_data["message"],
            )
        return delivery_response(delivery, invalid=invalid)

    def _send_recipient_links(
        self, share: Share, addresses: Sequence[str], message: str
    ) -> Delivery:
        """Queue the mail of each address's own link (added as a recipient if it is not one
        yet); a revoked recipient is not mailed – it is reported as failed."""
        with api_errors():
            try:
                to_mail, revoked = recipient_links_to_send(self.request.user, share, addresses)
            except RecipientsRefused as refused:
                raise recipients_error(refused) from None
        delivery = queue_recipient_links(
            share,
            to_mail,
            absolute_url=self.request.build_absolute_uri,
            sender=self.request.user,
            message=message,
        )
        failed = {**delivery.failed, **dict.fromkeys(revoked, str(RECIPIENT_REVOKED_DETAIL))}
        return replace(delivery, failed=failed)

    def _share_response(self, share: Share) -> Response:
        return Response(self.get_serializer(share).data, status=status.HTTP_200_OK)


def delivery_response(delivery: Delivery, **extra: Any) -> Response:
    """What became of the mails (:class:`DeliverySerializer`, and ``extra``): 200 when they went
    out during the request, each address under ``sent`` or ``failed``; 202 when they are
    ``queued`` for a worker."""
    body = {"sent": delivery.sent, "failed": delivery.failed, "queued": delivery.queued, **extra}
    return Response(
        body, status=status.HTTP_202_ACCEPTED if delivery.queued else status.HTTP_200_OK
    )


# -- recipients: a share's links of their own, as a resource nested in the share ---------------


class RecipientInLogError(ConflictError):
    """409 ``recipient_in_log``: the recipient's link was used and the access log keeps its
    entries, so it is revoked, not deleted."""

    default_code = "recipient_in_log"


class RecipientRevokedError(ConflictError):
    """409 ``recipient_revoked`` (the code a visitor of the link gets): the recipient's link is
    revoked, so it is not mailed again."""

    default_code = "recipient_revoked"


class NotAtDeviceLimitError(ConflictError):
    """409 ``not_at_device_limit``: the recipient's link needs no more devices (not flagged as
    forwarded, not at its limit – or one was just allowed), so none is allowed."""

    default_code = "not_at_device_limit"


def _allow_one_more_device(user: Any, recipient: ShareRecipient) -> ShareRecipient:
    """:func:`..sharing.allow_one_more_device`, its refusal as :class:`NotAtDeviceLimitError`."""
    try:
        return allow_one_more_device(user, recipient)
    except RecipientRefused as refused:
        raise NotAtDeviceLimitError(refused.messages[0]) from None


@schema_view(
    list=schema(responses={200: RecipientSerializer(many=True), **_ERRORS}),
    retrieve=schema(responses={200: RecipientSerializer, **_ERRORS}),
    create=schema(
        request=AddRecipientsSerializer,
        responses={201: AddedRecipientsSerializer, **_BODY_ERRORS},
    ),
    destroy=schema(responses={204: None, **error_responses(401, 403, 409, 429)}),
    revoke=schema(request=None, responses={200: RecipientSerializer, **_ERRORS}),
    enable=schema(request=None, responses={200: RecipientSerializer, **_ERRORS}),
    rotate=schema(request=None, responses={200: RecipientSerializer, **_ERRORS}),
    allow_device=schema(
        request=None,
        responses={200: RecipientSerializer, **error_responses(401, 403, 409, 429)},
    ),
    resend=schema(
        request=None,
        responses={
            200: DeliverySerializer,
            202: DeliverySerializer,
            **error_responses(401, 403, 409, 429),
        },
    ),
)
class RecipientViewSet(ErrorShape, Described, viewsets.GenericViewSet):
    """The recipients of a share the user manages (any other share is a 404): list, add, read,
    revoke, re-enable, give a new link, allow one more device, mail the link again, delete (only
    one whose link was never used)."""

    summary = gettext_lazy(
        "The recipients of one of your shares, each with a link of its own: list, add, read, "
        "revoke, re-enable, give a new link, allow one more device, mail the link again, delete."
    )

    serializer_class = RecipientSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = SharePagination
    lookup_url_kwarg = "recipient_id"

    def share(self) -> Share:
        """The share named in the URL, if the user manages it (else 404)."""
        return get_object_or_404(managed_shares(self.request.user), pk=self.kwargs["id"])

    def get_queryset(self) -> QuerySet[ShareRecipient]:
        recipients = managed_recipients(self.request.user, self.share()).select_related("share")
        return recipients.with_device_count()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Give each address a link of its own (nothing is mailed: see ``invite``); an address
        that already is a recipient keeps its link and state."""
        share = self.share()
        given = AddRecipientsSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with api_errors():
            try:
                added, already = add_recipients(
                    request.user,
                    share,
                    given.validated_data["recipients"],
                    max_uses=given.validated_data["max_uses"],
                )
            except RecipientsRefused as refused:
                raise recipients_error(refused) from None
        # read again with their devices counted; one deleted meanwhile is left out
        counted = self.get_queryset().in_bulk([r.pk for r in (*added, *already)])
        body = {
            name: self.get_serializer(
                [counted[r.pk] for r in recipients if r.pk in counted], many=True
            ).data
            for name, recipients in (("added", added), ("already", already))
        }
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with api_errors():
            try:
                delete_recipient(request.user, self.get_object())
            except RecipientRefused as refused:
                raise RecipientInLogError(refused.messages[0]) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Switch the recipient's link off; what it granted ends at once."""
        return self._changed(revoke_recipient)

    @action(detail=True, methods=["post"])
    def enable(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Switch a revoked recipient's link on again (what it granted before stays ended)."""
        return self._changed(reenable_recipient)

    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Give the recipient a new link; the old one and what it granted stop at once. Mail it
        with ``invite`` (``recipient_links``)."""
        return self._changed(rotate_recipient)

    @action(detail=True, methods=["post"], url_path="allow-device")
    def allow_device(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Let the link open on one device more than its limit (a new phone, say) and clear its
        forwarded flag (``forwarded_at``); 409 ``not_at_device_limit`` when it needs none."""
        return self._changed(_allow_one_more_device)

    @action(detail=True, methods=["post"])
    def resend(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Mail the recipient its own link again, answered as ``invite`` (200 sent or failed,
        202 queued). 409 ``recipient_revoked`` when the link is revoked, ``not_openable`` when
        nobody could open the share (:func:`..sharing.resend_refusal` says why)."""
        recipient = self.get_object()
        with api_errors():
            refusal = resend_refusal(request.user, recipient)
        if refusal is not None:  # resend_refusal names a revoked link first
            error = RecipientRevokedError if recipient.is_revoked else NotOpenableError
            raise error(refusal)
        delivery = queue_recipient_links(
            recipient.share,
            [recipient],
            absolute_url=request.build_absolute_uri,
            sender=request.user,
        )
        return delivery_response(delivery)

    def _changed(self, change: Callable[[Any, ShareRecipient], ShareRecipient]) -> Response:
        """Apply ``change`` and answer with the recipient as it now is (devices recounted)."""
        with api_errors():
            change(self.request.user, self.get_object())
        return Response(self.get_serializer(self.get_object()).data)
