"""Models with every kind of primary key and field the share page must handle."""

from __future__ import annotations

import uuid

from django.db import models


class Owner(models.Model):
    name = models.CharField("name", max_length=100)


class Label(models.Model):
    name = models.CharField("name", max_length=100)


class Gadget(models.Model):
    """A UUID primary key and one field of each kind the page formats."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField("name", max_length=100)
    colour = models.CharField("colour", max_length=10, choices=[("r", "Red"), ("g", "Green")])
    in_stock = models.BooleanField("in stock", default=True)
    released_at = models.DateTimeField("released at", null=True, blank=True)
    manual = models.FileField("manual", upload_to="manuals/", blank=True)
    homepage = models.URLField("homepage", blank=True)
    specs = models.JSONField("specs", default=dict, blank=True)
    owner = models.ForeignKey(Owner, models.SET_NULL, null=True, blank=True, related_name="gadgets")
    labels = models.ManyToManyField(Label, blank=True, related_name="gadgets")


class Part(models.Model):
    gadget = models.ForeignKey(Gadget, models.CASCADE, related_name="parts")
    name = models.CharField("name", max_length=100)


class Code(models.Model):
    """A string primary key that needs escaping in URLs and queries."""

    code = models.CharField("code", max_length=50, primary_key=True)
    label = models.CharField("label", max_length=100)
