"""OpenAPI annotations that cost nothing when drf-spectacular (an optional extra) is missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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


class ErrorSerializer(serializers.Serializer):
    """Every refusal and error of the API: a stable code for programs, a message for people."""

    code = serializers.CharField(help_text="Stable, machine-readable reason, e.g. `expired`.")
    detail = serializers.CharField(help_text="The reason in words, in the active language.")


def binary() -> Any:
    """The OpenAPI type of a file download (``None`` without drf-spectacular)."""
    try:
        from drf_spectacular.types import OpenApiTypes
    except ImportError:
        return None
    return OpenApiTypes.BINARY
