"""Models with every kind of primary key and field the share page must handle."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
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


# -- shapes for the leak suite: a dossier and everything around it ------------------------------


class Floor(models.Model):
    """Three links from a shared dossier (dossier → author → desk → floor)."""

    name = models.CharField("name", max_length=100)


class Desk(models.Model):
    name = models.CharField("name", max_length=100)
    floor = models.ForeignKey(Floor, models.SET_NULL, null=True, related_name="desks")


class Author(models.Model):
    """Has a secret no role may read, and colleagues at the same desk (a reverse relation)."""

    NEVER_SHARED_FIELDS = ["pin"]

    name = models.CharField("name", max_length=100)
    pin = models.CharField("PIN", max_length=100, blank=True)
    desk = models.ForeignKey(Desk, models.SET_NULL, null=True, related_name="authors")


class Pseudonym(Author):
    """A proxy: shared through its own content type and permissions."""

    class Meta:
        proxy = True


class Topic(models.Model):
    name = models.CharField("name", max_length=100)


class Dossier(models.Model):
    """What the leak suite shares: a foreign key, a many-to-many, a symmetrical many-to-many to
    itself, a foreign key to itself, and (reverse) pages and a cover."""

    title = models.CharField("title", max_length=100)
    summary = models.TextField("summary", blank=True)
    status = models.CharField("status", max_length=20, default="open")
    author = models.ForeignKey(Author, models.CASCADE, related_name="dossiers")
    topics = models.ManyToManyField(Topic, blank=True, related_name="dossiers")
    see_also = models.ManyToManyField("self", blank=True)
    follows = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="followed_by"
    )


class Page(models.Model):
    dossier = models.ForeignKey(Dossier, models.CASCADE, related_name="pages")
    text = models.CharField("text", max_length=100)
    public = models.BooleanField("public", default=True)
    topic = models.ForeignKey(Topic, models.SET_NULL, null=True, blank=True, related_name="pages")


class Cover(models.Model):
    dossier = models.OneToOneField(Dossier, models.CASCADE, related_name="cover")
    text = models.CharField("text", max_length=100)


class Badge(models.Model):
    """A foreign key to a unique field other than the primary key (``to_field``)."""

    holder = models.ForeignKey("auth.User", models.CASCADE, to_field="username", related_name="+")
    text = models.CharField("text", max_length=50)


class SessionAlias(Session):
    """A proxy of a model that is never shared: never shared either."""

    class Meta:
        proxy = True


class SessionNote(models.Model):
    session = models.ForeignKey(SessionAlias, models.CASCADE, related_name="+")
    text = models.CharField("text", max_length=50)


# -- a default manager that filters by the request's tenant -------------------------------------

#: The tenant whose rows ``Ledger.objects`` shows (set per request by such projects' middleware).
current_tenant: ContextVar[str] = ContextVar("current_tenant", default="")


class TenantManager(models.Manager["Ledger"]):
    def get_queryset(self) -> models.QuerySet[Ledger]:
        return super().get_queryset().filter(tenant=current_tenant.get())


class Ledger(models.Model):
    """Rows of several tenants; its default manager shows only the current tenant's."""

    tenant = models.CharField("tenant", max_length=20)
    title = models.CharField("title", max_length=100)

    objects = TenantManager()
