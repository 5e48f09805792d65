"""OpenAPI annotations that cost nothing when drf-spectacular (an optional extra) is missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.functional import Promise
from rest_framework import serializers

Decorated = TypeVar("Decorated", bound=Callable[..., Any])


def schema(**kwargs: Any) -> Callable[[Decorated], Decorated]:
    """``drf_spectacular.utils.extend_schema(**kwargs)`` if drf-spectacular is installed, else a
    decorator that changes nothing."""
    try:
        from drf_spectacular.utils import extend_schema
    except ImportError:  # the optional extra is not installed: the API works without a schema
        return lambda view: view
    return extend_schema(**kwargs)


def schema_view(**kwargs: Any) -> Callable[[Decorated], Decorated]:
    """``drf_spectacular.utils.extend_schema_view(**kwargs)``, or nothing without it."""
    try:
        from drf_spectacular.utils import extend_schema_view
    except ImportError:
        return lambda view: view
    return extend_schema_view(**kwargs)


class Described:
    """A view whose ``OPTIONS`` answer says in one line what it does for the API's users
    (``summary``) – never its class's or method's docstring, which is written for developers."""

    #: What the endpoint does, for its users (a lazy translation is read in the request's language).
    summary: str | Promise = ""

    def get_view_description(self, html: bool = False) -> str:
        """``summary``, as plain text (a template escapes it)."""
        return str(self.summary)


class ErrorSerializer(serializers.Serializer):
    """Every refusal and error of the API: a stable code for programs, a message for people."""

    code = serializers.CharField(help_text="Stable, machine-readable reason, e.g. `expired`.")
    detail = serializers.CharField(help_text="The reason in words, in the active language.")
    # DRF's metaclass takes declared fields off the class; the stubs see it shadow .errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        required=False,
        help_text="Only on a validation error (400): every problem, as messages by field name.",
    )


def binary() -> Any:
    """The OpenAPI type of a file download (``None`` without drf-spectacular)."""
    try:
        from drf_spectacular.types import OpenApiTypes
    except ImportError:
        return None
    return OpenApiTypes.BINARY


#: What any operation may answer besides its own errors: a request Django refuses – a query or
#: body over its limits, a host not allowed – (400), an unknown ``?format=`` (404) and an
#: ``Accept`` header no renderer satisfies (406).
ANY_REQUEST_ERRORS = (400, 404, 406)


def error_responses(*statuses: int) -> dict[int, type[ErrorSerializer]]:
    """``{status: ErrorSerializer}`` for ``statuses`` and :data:`ANY_REQUEST_ERRORS`."""
    return dict.fromkeys(sorted({*statuses, *ANY_REQUEST_ERRORS}), ErrorSerializer)
