"""A plain detail page: the baseline the share page is benchmarked against."""

from __future__ import annotations

from django.views.generic import DetailView

from .models import Report


class ReportDetailView(DetailView):
    """A report with its author, tags and comments, fetched in as few queries as the share page.

    Open to anyone: it exists for the local demo and the benchmark, not for a real site.
    """

    queryset = Report.objects.select_related("author").prefetch_related("tags", "comments")
