"""factory-boy factories for the suite."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from directus_shares.models import RecipientDevice, RoleRule, Share, ShareRecipient
from tests.testapp.models import Code, Gadget, Label, Owner


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    name = factory.Sequence(lambda n: f"Owner {n}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    name = factory.Sequence(lambda n: f"label-{n}")


class GadgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gadget

    name = factory.Sequence(lambda n: f"Gadget {n}")
    colour = "g"


class CodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Code

    code = factory.Sequence(lambda n: f"CODE/{n} ü")
    label = factory.Sequence(lambda n: f"Code label {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True


class RoleFactory(factory.django.DjangoModelFactory):
    """A Group; ``RoleFactory(view=[Gadget, Owner], share=[Gadget])`` grants ``view_<model>``
    and ``share_<model>`` on each."""

    class Meta:
        model = Group
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Role {n}")

    @factory.post_generation
    def view(self, create: bool, models: list | None, **kwargs: object) -> None:
        if create:
            self.permissions.add(*(permission("view", model) for model in models or []))

    @factory.post_generation
    def share(self, create: bool, models: list | None, **kwargs: object) -> None:
        if create:
            self.permissions.add(*(permission("share", model) for model in models or []))


def permission(action: str, model: type) -> Permission:
    """The ``<action>_<model>`` permission of ``model``."""
    return Permission.objects.get(
        content_type=ContentType.objects.get_for_model(model),
        codename=f"{action}_{model._meta.model_name}",
    )


def rule(role: Group, model: type, **fields: object) -> RoleRule:
    """Save a validated share rule of ``role`` for ``model``."""
    made = RoleRule(role=role, content_type=ContentType.objects.get_for_model(model), **fields)
    made.full_clean()
    made.save()
    return made


class ShareFactory(factory.django.DjangoModelFactory):
    """A share of a new Gadget, readable by a role that may view gadgets, created by a member
    of that role who may share such objects (so the creator's rights do not narrow it;
    ``creator_in_role=False`` leaves the creator outside the role, ``creator_may_share=False``
    without that right)."""

    class Meta:
        model = Share
        skip_postgeneration_save = True

    content_object = factory.SubFactory(GadgetFactory)
    name = factory.Sequence(lambda n: f"Share {n}")
    role = factory.SubFactory(RoleFactory, view=[Gadget])
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def creator_in_role(self, create: bool, value: bool | None, **kwargs: object) -> None:
        if create and value is not False and self.created_by and self.role:
            self.created_by.groups.add(self.role)

    @factory.post_generation
    def creator_may_share(self, create: bool, value: bool | None, **kwargs: object) -> None:
        model = self.shared_model
        if create and value is not False and self.created_by and model is not None:
            self.created_by.user_permissions.add(
                *Permission.objects.filter(  # none for models that are never shared
                    content_type=ContentType.objects.get_for_model(model),
                    codename=f"share_{model._meta.model_name}",
                )
            )

    @factory.post_generation
    def password(self, create: bool, raw: str | None, **kwargs: object) -> None:
        if raw:
            self.set_password(raw)
            if create:
                self.save()


class RecipientFactory(factory.django.DjangoModelFactory):
    """A recipient of a new share (:class:`ShareFactory`), with a link of its own."""

    class Meta:
        model = ShareRecipient

    share = factory.SubFactory(ShareFactory)
    address = factory.Sequence(lambda n: f"recipient{n}@example.com")


class DeviceFactory(factory.django.DjangoModelFactory):
    """A device that opened a recipient's link (:class:`RecipientFactory`)."""

    class Meta:
        model = RecipientDevice

    recipient = factory.SubFactory(RecipientFactory)
    key = factory.Sequence(lambda n: f"{n:064x}")
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)
