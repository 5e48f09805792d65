"""Demo models. Their keys differ on purpose: integer, string (Tag) and UUID (Document)."""

from __future__ import annotations

import uuid

from django.db import models
from django.urls import reverse
from django.utils import timezone


class Person(models.Model):
    """Someone who writes reports."""

    #: Shown in the admin, never through a share – whatever the share's role allows.
    NEVER_SHARED_FIELDS = ["private_phone"]

    name = models.CharField("name", max_length=200)
    email = models.EmailField("e-mail address", blank=True)
    private_phone = models.CharField(
        "private phone", max_length=40, blank=True, help_text="Never shown through a share."
    )

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A label, keyed by its slug (a string primary key)."""

    slug = models.SlugField("slug", primary_key=True)
    label = models.CharField("label", max_length=100)

    class Meta:
        verbose_name = "tag"
        verbose_name_plural = "tags"
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Report(models.Model):
    """The object shares point to in the demo."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        DONE = "done", "Done"

    title = models.CharField("title", max_length=200)
    summary = models.TextField("summary")
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="reports", verbose_name="author"
    )
    tags = models.ManyToManyField(Tag, related_name="reports", blank=True, verbose_name="tags")
    confidential_notes = models.TextField(
        "confidential notes", blank=True, help_text="Internal only: not for every role."
    )
    budget = models.DecimalField("budget (EUR)", max_digits=12, decimal_places=2, default=0)
    published_on = models.DateField("published on", null=True, blank=True)
    reviewed_at = models.DateTimeField("reviewed at", null=True, blank=True)
    is_public = models.BooleanField("public", default=False)
    attachment = models.FileField("attachment", upload_to="attachments/", blank=True)
    website = models.URLField("website", blank=True)

    class Meta:
        verbose_name = "report"
        verbose_name_plural = "reports"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("report-detail", kwargs={"pk": self.pk})


class Comment(models.Model):
    """A comment on a report (a reverse relation on the share page)."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="comments", verbose_name="report"
    )
    author_name = models.CharField("author", max_length=200)
    body = models.TextField("comment")
    created_at = models.DateTimeField("written at", default=timezone.now)

    class Meta:
        verbose_name = "comment"
        verbose_name_plural = "comments"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"


class Document(models.Model):
    """A file belonging to a report, keyed by a UUID."""

    id = models.UUIDField("ID", primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="documents", verbose_name="report"
    )
    title = models.CharField("title", max_length=200)
    file = models.FileField("file", upload_to="documents/", blank=True)

    class Meta:
        verbose_name = "document"
        verbose_name_plural = "documents"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
