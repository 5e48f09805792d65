"""Who may create a share, with which role – and that a share never outgrows its creator."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from guardian.shortcuts import assign_perm

from directus_shares import sharing
from directus_shares.access import Refusal
from directus_shares.models import RoleSettings, Share
from tests.factories import GadgetFactory, RoleFactory, ShareFactory, UserFactory, rule
from tests.helpers import open_share
from tests.testapp.models import Gadget

pytestmark = pytest.mark.django_db


def member_of(*roles: Group, **fields: object):
    user = UserFactory(**fields)
    user.groups.add(*roles)
    return user


def test_sharing_needs_the_share_permission_and_the_view_permission():
    gadget = GadgetFactory()
    assert not sharing.can_share(member_of(RoleFactory(view=[Gadget])), gadget)
    only_share = member_of(RoleFactory(share=[Gadget]))
    assert "cannot view it yourself" in sharing.sharing_refusal(only_share, gadget)
    assert sharing.can_share(member_of(RoleFactory(view=[Gadget], share=[Gadget])), gadget)
    direct = UserFactory()
    direct.user_permissions.add(
        Permission.objects.get(codename="view_gadget"),
        Permission.objects.get(codename="share_gadget"),
    )
    assert sharing.can_share(direct, gadget)


def test_a_share_filter_limits_which_objects_a_role_may_share():
    role = RoleFactory(view=[Gadget], share=[Gadget])
    rule(role, Gadget, all_fields=True, share_filter={"colour": "g"})
    user = member_of(role)
    assert sharing.can_share(user, GadgetFactory(colour="g"))
    assert not sharing.can_share(user, GadgetFactory(colour="r"))


def test_a_guardian_object_grant_allows_sharing_that_object_only():
    user = member_of(RoleFactory(view=[Gadget]))
    granted, other = GadgetFactory(), GadgetFactory()
    assign_perm("share_gadget", user, granted)
    assert sharing.can_share(user, granted)
    assert not sharing.can_share(user, other)
    team = RoleFactory(view=[Gadget])
    assign_perm("share_gadget", team, other)
    assert sharing.can_share(member_of(team), other)


def test_superusers_share_anything_inactive_and_anonymous_users_nothing():
    from django.contrib.auth.models import AnonymousUser

    gadget = GadgetFactory()
    assert sharing.can_share(UserFactory(is_superuser=True), gadget)
    assert not sharing.can_share(UserFactory(is_superuser=True, is_active=False), gadget)
    assert not sharing.can_share(AnonymousUser(), gadget)
    assert not sharing.can_share(UserFactory(is_superuser=True), Share(pk=1))


def test_models_that_are_never_shared_cannot_be_shared_even_by_superusers():
    assert sharing.sharing_refusal(UserFactory(is_superuser=True), Session()) == (
        "Objects of this kind cannot be shared."
    )


def test_only_own_created_or_assignable_roles_are_offered():
    own, created, assignable, foreign = (RoleFactory() for _ in range(4))
    user = member_of(own)
    RoleSettings.objects.create(role=created, created_by=user)
    RoleSettings.objects.create(role=assignable, assignable=True)
    RoleSettings.objects.create(role=foreign)
    assert set(sharing.assignable_roles(user)) == {own, created, assignable}
    assert foreign in sharing.assignable_roles(UserFactory(is_superuser=True))


def test_create_share_checks_everything_and_creates_nothing_when_denied():
    role = RoleFactory(view=[Gadget], share=[Gadget])
    user, gadget = member_of(role), GadgetFactory()
    with pytest.raises(sharing.SharingDenied, match="role “Other”"):
        sharing.create_share(user, gadget, role=RoleFactory(name="Other", view=[Gadget]))
    with pytest.raises(sharing.SharingDenied, match="may not share"):
        sharing.create_share(member_of(RoleFactory(view=[Gadget])), gadget, role=role)
    with pytest.raises(ValidationError):
        sharing.create_share(user, gadget, role=role, max_uses=0)
    with pytest.raises(ValidationError, match="too short"):  # PASSWORD_VALIDATORS
        sharing.create_share(user, gadget, role=role, password="pw")
    assert not Share.objects.exists()
    share = sharing.create_share(user, gadget, role=role, name="For Bob", password="plum orchard")
    assert (share.created_by, share.content_object, share.name) == (user, gadget, "For Bob")
    assert share.check_password("plum orchard")


def test_a_role_created_on_the_fly_has_no_rights_and_its_creator_may_assign_it():
    user = UserFactory()
    with pytest.raises(sharing.SharingDenied):
        sharing.create_role(user, "Guests")
    user.user_permissions.add(Permission.objects.get(codename="add_group"))
    user = type(user).objects.get(pk=user.pk)  # drop the permission cache
    role = sharing.create_role(user, "Guests")
    assert not role.permissions.exists()
    assert role in sharing.assignable_roles(user)


# -- no privilege escalation: the creator's rights bound the share at every visit -------------


def granted_content(share: Share) -> tuple[int, str]:
    client = Client()
    response = open_share(client, share)
    if response.status_code != 303:
        return response.status_code, response.content.decode()
    page = client.get(share.get_absolute_url())
    return page.status_code, page.content.decode()


def test_a_role_wider_than_its_creator_shows_only_what_the_creator_may_see():
    wide = RoleFactory(view=[Gadget])
    narrow = RoleFactory(view=[Gadget])
    rule(narrow, Gadget, fields=["name"])
    creator = member_of(narrow)
    gadget = GadgetFactory(name="Visible name", homepage="https://secret.example/")
    share = ShareFactory(
        content_object=gadget, role=wide, created_by=creator, creator_in_role=False
    )
    status, content = granted_content(share)
    assert status == 200 and "Visible name" in content
    assert "secret.example" not in content


def test_a_creator_who_cannot_view_the_model_hands_out_nothing():
    share = ShareFactory(created_by=UserFactory(), creator_in_role=False)
    status, content = granted_content(share)
    assert status == Refusal.GRANTS_NOTHING.status
    assert share.content_object.name not in content


def test_a_creator_losing_a_right_takes_it_from_their_shares_at_once():
    role = RoleFactory(view=[Gadget])
    creator = member_of(role)
    share = ShareFactory(role=role, created_by=creator, content_object=GadgetFactory(colour="g"))
    client = Client()
    assert open_share(client, share).status_code == 303
    assert client.get(share.get_absolute_url()).status_code == 200
    creator.groups.clear()
    response = client.get(share.get_absolute_url())
    assert response.status_code == Refusal.GRANTS_NOTHING.status
    assert share.content_object.name not in response.content.decode()


def test_a_creators_row_filter_narrows_the_share():
    role = RoleFactory(view=[Gadget])
    creator_role = RoleFactory(view=[Gadget])
    rule(creator_role, Gadget, all_fields=True, read_filter={"colour": "g"})
    creator = member_of(creator_role)
    red = ShareFactory(
        role=role,
        created_by=creator,
        creator_in_role=False,
        content_object=GadgetFactory(colour="r"),
    )
    assert granted_content(red)[0] == Refusal.GRANTS_NOTHING.status


@pytest.mark.parametrize("how", ["deactivated", "deleted"])
def test_a_share_whose_creator_is_gone_is_no_longer_available(how):
    share = ShareFactory()
    client = Client()
    assert open_share(client, share).status_code == 303
    if how == "deactivated":
        type(share.created_by).objects.filter(pk=share.created_by_id).update(is_active=False)
    else:
        share.created_by.delete()
    response = client.get(share.get_absolute_url())
    assert response.status_code == Refusal.UNAVAILABLE.status
    assert "no longer available" in response.content.decode()
    assert share.content_object.name not in response.content.decode()
    share.refresh_from_db()
    assert share.content_object is not None  # the object stays
    assert share.creator_removed is (how == "deleted")


def test_a_share_made_by_code_or_a_superuser_is_bounded_by_its_role_only():
    for creator in (None, UserFactory(is_superuser=True)):
        share = ShareFactory(created_by=creator)
        assert granted_content(share)[0] == 200


def test_an_object_grant_widens_a_filtered_model_permission_of_the_same_group():
    role = RoleFactory(view=[Gadget], share=[Gadget])
    rule(role, Gadget, all_fields=True, share_filter={"colour": "g"})
    red = GadgetFactory(colour="r")
    user = member_of(role)
    assert not sharing.can_share(user, red)
    assign_perm("share_gadget", role, red)
    assert sharing.can_share(user, red)
    assert not sharing.can_share(user, GadgetFactory(colour="r"))


def test_a_creator_losing_the_right_to_share_the_object_takes_it_from_the_share():
    role = RoleFactory(view=[Gadget])
    creator = member_of(role)
    gadget = GadgetFactory(name="Granted once")
    assign_perm("share_gadget", creator, gadget)
    share = sharing.create_share(creator, gadget, role=role)
    client = Client()
    assert open_share(client, share).status_code == 303
    assert "Granted once" in client.get(share.get_absolute_url()).content.decode()
    from guardian.shortcuts import remove_perm

    remove_perm("share_gadget", creator, gadget)
    response = client.get(share.get_absolute_url())
    assert response.status_code == Refusal.GRANTS_NOTHING.status
    assert "Granted once" not in response.content.decode()


def test_a_grant_on_other_objects_does_not_widen_the_fields_of_the_shared_one():
    narrow = RoleFactory(view=[Gadget])
    rule(narrow, Gadget, fields=["name"])
    elsewhere = RoleFactory()  # every field, but only of one other gadget
    assign_perm("view_gadget", elsewhere, GadgetFactory())
    creator = member_of(narrow, elsewhere)
    gadget = GadgetFactory(name="Shown", homepage="https://hidden.example/")
    share = ShareFactory(
        content_object=gadget,
        role=RoleFactory(view=[Gadget]),
        created_by=creator,
        creator_in_role=False,
    )
    status, content = granted_content(share)
    assert status == 200 and "Shown" in content
    assert "hidden.example" not in content


# -- what create_share lets a creator choose -----------------------------------------------------


def test_create_share_refuses_options_that_are_not_the_creators_to_choose():
    role = RoleFactory(view=[Gadget], share=[Gadget])
    user = UserFactory()
    user.groups.add(role)
    with pytest.raises(TypeError, match="times_used"):
        sharing.create_share(user, GadgetFactory(), role=role, times_used=5)
    assert not Share.objects.exists()
