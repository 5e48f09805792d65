"""Models with every kind of primary key and field the share page must handle."""

from __future__ import annotations

import uuid

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Note(models.Model):
    """Attached to anything through a generic foreign key."""

    content_type = models.ForeignKey(ContentType, models.CASCADE)
    object_id = models.CharField(max_length=64)
    content_object = GenericForeignKey("content_type", "object_id")
    text = models.TextField("text")


class Owner(models.Model):
    name = models.CharField("name", max_length=100)
    email = models.EmailField("e-mail", blank=True)
    notes = GenericRelation(Note)


class Company(Owner):
    """Multi-table inheritance: a parent link and inherited fields."""

    vat_id = models.CharField("VAT ID", max_length=20)


class Label(models.Model):
    name = models.CharField("name", max_length=100)


class Gadget(models.Model):
    """A UUID primary key and one field of each kind the page formats."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField("name", max_length=100)
    colour = models.CharField("colour", max_length=10, choices=[("r", "Red"), ("g", "Green")])
    in_stock = models.BooleanField("in stock", default=True)
    released_at = models.DateTimeField("released at", null=True, blank=True)
    manual = models.FileField("manual", upload_to="manuals/", blank=True, null=True)
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
