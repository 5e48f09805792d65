"""The creator's rules, asked directly: who may create, see, manage, edit, assign, set passwords
and send – and that a share never outgrows its creator."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone
from guardian.shortcuts import assign_perm

from directus_shares import sharing
from directus_shares.models import MAX_EXTRA_DEVICES, RoleSettings, Share, ShareRecipient
from directus_shares.outcomes import Refusal
from tests.factories import (
    GadgetFactory,
    RecipientFactory,
    RoleFactory,
    ShareFactory,
    UserFactory,
    rule,
)
from tests.helpers import open_share, opened_through
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


# -- seeing and managing ----------------------------------------------------------------------


def test_an_object_to_share_is_found_only_when_the_user_may_view_it():
    viewer = member_of(RoleFactory(view=[Gadget]))
    gadget = GadgetFactory()
    assert sharing.object_to_share(viewer, Gadget, str(gadget.pk)) == gadget
    assert sharing.object_to_share(UserFactory(), Gadget, str(gadget.pk)) is None  # not viewable
    assert sharing.object_to_share(viewer, Gadget, "999999") is None  # no such object
    assert sharing.object_to_share(viewer, Gadget, "not a key") is None  # cannot be a key


def test_creators_manage_their_own_shares_superusers_all_and_nobody_else_any():
    creator = UserFactory()
    own, foreign = ShareFactory(created_by=creator), ShareFactory()
    superuser = UserFactory(is_superuser=True)
    assert list(sharing.managed_shares(creator)) == [own]
    assert set(sharing.managed_shares(superuser)) == {own, foreign}
    for user in (AnonymousUser(), UserFactory(is_superuser=True, is_active=False)):
        assert not sharing.managed_shares(user).exists()
        assert not sharing.may_manage(user, own)
    assert sharing.may_manage(creator, own) and not sharing.may_manage(creator, foreign)
    assert sharing.may_manage(superuser, foreign)
    assert sharing.manages_every_share(superuser) and not sharing.manages_every_share(creator)


def test_the_shares_of_an_object_are_seen_by_who_may_share_it_or_manages_one_of_them():
    role = RoleFactory(view=[Gadget], share=[Gadget])
    gadget = GadgetFactory()
    creator = UserFactory()  # may no longer share it, but manages a share of it
    mine = ShareFactory(content_object=gadget, created_by=creator, creator_in_role=False)
    ShareFactory(content_object=GadgetFactory(), created_by=creator, creator_in_role=False)
    ShareFactory(content_object=gadget)
    assert list(sharing.managed_shares_of(creator, gadget)) == [mine]
    assert sharing.may_see_shares_of(creator, gadget)
    assert sharing.may_see_shares_of(member_of(role), gadget)  # may share it, manages none
    assert not sharing.may_see_shares_of(member_of(RoleFactory(view=[Gadget])), gadget)


# -- roles ------------------------------------------------------------------------------------


def test_the_roles_offered_are_the_assignable_ones_and_the_shares_own_by_name():
    own = RoleFactory(name="B own")
    user = member_of(own)
    foreign = RoleFactory(name="A foreign")
    share = ShareFactory(role=foreign, created_by=user, creator_in_role=False)
    assert list(sharing.offered_roles(user)) == [own]
    assert list(sharing.offered_roles(user, share)) == [foreign, own]


@override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"})
def test_the_public_role_is_offered_once_as_no_role_not_again_by_name():
    public = RoleFactory(name="Public", view=[Gadget])
    other = RoleFactory(name="Readers")
    superuser = UserFactory(is_superuser=True)
    assert list(sharing.offered_roles(superuser)) == [other]
    assert list(sharing.offered_roles(member_of(public))) == []
    share = ShareFactory(role=public, created_by=superuser)  # given by name before: it keeps it
    assert list(sharing.offered_roles(superuser, share)) == [public, other]


@override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"})
def test_the_public_role_named_is_allowed_as_no_role_is():
    """No role means the public role: giving its group by name grants the same, so it is no
    more refused than leaving the role out (the API refused one and allowed the other)."""
    user = member_of(RoleFactory(name="Own", view=[Gadget], share=[Gadget]))
    public = RoleFactory(name="Public", view=[Gadget])
    assert sharing.role_refusal(user, None) is None
    assert sharing.role_refusal(user, public) is None
    assert sharing.create_share(user, GadgetFactory(), role=public).role == public


def test_a_role_is_refused_unless_assignable_the_shares_own_or_none():
    user = member_of(RoleFactory(name="Own"))
    foreign = RoleFactory(name="Foreign")
    share = ShareFactory(role=foreign, created_by=user, creator_in_role=False)
    assert sharing.role_refusal(user, foreign) == "You may not give shares the role “Foreign”."
    assert (
        sharing.role_refusal(user, foreign, ShareFactory(created_by=user, creator_in_role=False))
        is not None
    )
    assert sharing.role_refusal(user, foreign, share) is None  # it keeps its own
    assert sharing.role_refusal(user, None) is None  # the public role
    assert sharing.role_refusal(user, user.groups.get()) is None
    assert sharing.role_refusal(UserFactory(is_superuser=True), foreign) is None


# -- editing ----------------------------------------------------------------------------------


def test_edit_share_checks_every_rule_and_saves_nothing_when_refused():
    role = RoleFactory(view=[Gadget])
    user = member_of(role)
    share = ShareFactory(role=role, created_by=user, name="Before", times_used=2)
    refused = [
        (sharing.SharingDenied, {"role": RoleFactory(name="Other")}),
        (ValidationError, {"max_uses": 1}),  # below the uses counted
        (ValidationError, {"date_start": share.created_at, "date_end": share.created_at}),
        (ValidationError, {"password": "pw"}),  # PASSWORD_VALIDATORS
        (ValidationError, {"password": "plum orchard", "remove_password": True}),
    ]
    for error, changes in refused:
        with pytest.raises(error):
            sharing.edit_share(user, Share.objects.get(pk=share.pk), name="After", **changes)
    assert Share.objects.get(pk=share.pk).name == "Before"
    with pytest.raises(TypeError, match="times_used"):
        sharing.edit_share(user, share, times_used=0)
    edited = sharing.edit_share(user, share, name="After", password="plum orchard", role=None)
    edited = Share.objects.get(pk=share.pk)
    assert (edited.name, edited.role, edited.times_used) == ("After", None, 2)
    assert edited.check_password("plum orchard")
    sharing.edit_share(user, edited, remove_password=True)
    assert not Share.objects.get(pk=share.pk).has_password


# -- passwords --------------------------------------------------------------------------------


@override_settings(DIRECTUS_SHARES={"MAX_PASSWORD_LENGTH": 12})
def test_a_new_password_longer_than_the_maximum_is_refused():
    assert sharing.max_password_length() == 12
    sharing.validate_share_password("plum orchard")  # 12 characters
    with pytest.raises(ValidationError, match="That password is too long."):
        sharing.validate_share_password("plum orchards")


def test_a_password_change_sets_or_removes_never_both():
    sharing.validate_password_change("plum orchard", False)
    sharing.validate_password_change(None, True)
    sharing.validate_password_change("", False)
    with pytest.raises(ValidationError, match="Either set a new password or remove it, not both."):
        sharing.validate_password_change("plum orchard", True)


def test_change_password_sets_changes_removes_or_keeps_the_password():
    share = ShareFactory(password="first one")
    sharing.change_password(share, None, False)
    assert share.check_password("first one")
    sharing.change_password(share, "second one", False)
    assert share.check_password("second one")
    sharing.change_password(share, None, True)
    assert not share.has_password


# -- sending ----------------------------------------------------------------------------------


def test_recipients_are_at_most_the_limit_and_at_least_one_valid():
    assert sharing.recipients_to_send(
        " a@example.com, a@example.com ,b@example.com", skip_invalid=False
    ) == (
        ["a@example.com", "b@example.com"],
        [],
    )
    assert sharing.recipients_to_send(["a@example.com", "nope"], skip_invalid=True) == (
        ["a@example.com"],
        ["nope"],
    )
    too_many = [f"u{n}@example.com" for n in range(sharing.MAX_RECIPIENTS + 1)]
    refusals = [
        (too_many, True, "too_many", "At most 50 addresses at once."),
        (["a@example.com", "nope"], False, "invalid", "Not valid e-mail addresses: nope"),
        (" , ", True, "required", "Enter at least one e-mail address."),
        (["nope"], True, "required", "Enter at least one e-mail address."),
    ]
    for recipients, skip_invalid, code, message in refusals:
        with pytest.raises(sharing.RecipientsRefused) as refused:
            sharing.recipients_to_send(recipients, skip_invalid=skip_invalid)
        assert (refused.value.code, refused.value.messages) == (code, [message])
    assert refused.value.invalid == ["nope"]


def test_a_link_is_sent_only_while_somebody_could_open_the_share():
    share = ShareFactory()
    assert sharing.sending_refusal(share) is None
    share.revoke()
    assert sharing.sending_refusal(share) == (
        "The link was not sent: nobody can open this share – it was revoked."
    )


def test_the_reasons_a_share_needs_attention():
    share = ShareFactory()
    assert sharing.attention_reasons(share, object_deleted=False, refusal=None) == []
    assert sharing.attention_reasons(share, object_deleted=True, refusal=None) == [
        "its object was deleted"
    ]
    no_role = ShareFactory(role=None)
    assert sharing.attention_reasons(
        no_role, object_deleted=False, refusal=Refusal.GRANTS_NOTHING
    ) == ["it grants nothing: it has no role and no public role is set"]
    no_role.created_by.is_active = False
    no_role.role_removed = True
    assert sharing.attention_reasons(
        no_role, object_deleted=False, refusal=Refusal.GRANTS_NOTHING
    ) == ["its creator was deactivated", "its role was deleted"]


# -- every surface gives the rule's own answer ------------------------------------------------
# The admin and the API used to hold their own copies of these rules and messages.


def _report(title: str = "Numbers"):
    from example_project.reports.models import Person, Report

    return Report.objects.create(
        title=title, summary="s", status="done", author=Person.objects.create(name="Ada")
    )


@pytest.fixture
def reviewer():
    from example_project.reports.models import Person, Report

    return RoleFactory(name="Reviewer", view=[Report, Person], share=[Report])


@pytest.fixture
def sharer(reviewer):
    user = member_of(reviewer, email="ada@example.com")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_report", "change_report"])
    )
    return user


def _admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def _panel(share: Share, action: str) -> str:
    return f"/admin/reports/report/{share.object_pk}/shares/{share.pk}/{action}/"


def _api_share(share: Share, action: str = "") -> str:
    return f"/api/shares/{share.pk}/{action + '/' if action else ''}"


def test_the_admin_and_the_api_offer_and_refuse_the_same_roles(sharer, reviewer):
    board = RoleFactory(name="Board")
    report = _report()
    share = ShareFactory(content_object=report, role=reviewer, created_by=sharer)
    refusal = sharing.role_refusal(sharer, board, share)
    assert refusal == "You may not give shares the role “Board”."

    created = _api(sharer).post(
        "/api/shares/",
        {"content_type": "reports.report", "object_pk": str(report.pk), "role": board.pk},
        format="json",
    )
    updated = _api(sharer).patch(_api_share(share), {"role": board.pk}, format="json")
    for response in (created, updated):
        assert response.status_code == 403
        assert response.json() == {"code": "sharing_denied", "detail": refusal}
    page = _admin(sharer).get(_panel(share, "change")).content.decode()
    assert f'<option value="{reviewer.pk}" selected>Reviewer</option>' in page
    assert "Board" not in page  # not offered
    posted = _admin(sharer).post(_panel(share, "change"), {"name": "x", "role": board.pk})
    assert posted.status_code == 200 and "Select a valid choice" in posted.content.decode()
    assert Share.objects.get(pk=share.pk).role == reviewer

    # a share may keep a role its editor could not give it, on both surfaces
    kept = ShareFactory(content_object=report, role=board, created_by=sharer, creator_in_role=False)
    assert sharing.role_refusal(sharer, board, kept) is None
    kept_by_api = _api(sharer).patch(_api_share(kept), {"role": board.pk}, format="json")
    assert kept_by_api.status_code == 200
    response = _admin(sharer).post(_panel(kept, "change"), {"name": "Kept", "role": board.pk})
    assert response.status_code == 302
    assert Share.objects.get(pk=kept.pk).role == board


def test_the_admin_and_the_api_refuse_setting_and_removing_a_password_alike(sharer, reviewer):
    share = ShareFactory(content_object=_report(), role=reviewer, created_by=sharer, password="pw")
    message = "Either set a new password or remove it, not both."
    both = {"name": "x", "new_password": "plum orchard", "remove_password": "on"}
    page = _admin(sharer).post(_panel(share, "change"), {**both, "role": reviewer.pk})
    assert message in page.content.decode()
    response = _api(sharer).patch(
        _api_share(share), {"password": "plum orchard", "remove_password": True}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"] == {"password": [message]}
    assert Share.objects.get(pk=share.pk).check_password("pw")


@override_settings(DIRECTUS_SHARES={"MAX_PASSWORD_LENGTH": 12})
def test_the_admin_and_the_api_refuse_a_too_long_password_alike(sharer, reviewer):
    share = ShareFactory(content_object=_report(), role=reviewer, created_by=sharer)
    form = _admin(sharer).get(_panel(share, "change")).content.decode()
    assert 'maxlength="12"' in form
    change = {"name": "x", "role": reviewer.pk, "new_password": "plum orchards"}
    page = _admin(sharer).post(_panel(share, "change"), change).content.decode()
    assert "That password is too long." in page
    response = _api(sharer).patch(_api_share(share), {"password": "plum orchards"}, format="json")
    assert response.json()["errors"] == {"password": ["That password is too long."]}
    assert not Share.objects.get(pk=share.pk).has_password


def test_the_admin_and_the_api_give_the_models_own_validation_messages(sharer, reviewer):
    share = ShareFactory(content_object=_report(), role=reviewer, created_by=sharer, max_uses=5)
    Share.objects.filter(pk=share.pk).update(times_used=3)
    admin_change = {
        "name": "x",
        "role": reviewer.pk,
        "max_uses": "2",
        "date_start_0": "2026-12-02",
        "date_start_1": "10:00",
        "date_end_0": "2026-12-01",
        "date_end_1": "10:00",
    }
    page = _admin(sharer).post(_panel(share, "change"), admin_change).content.decode()
    api_change = {
        "max_uses": 2,
        "date_start": "2026-12-02T10:00:00Z",
        "date_end": "2026-12-01T10:00:00Z",
    }
    response = _api(sharer).patch(_api_share(share), api_change, format="json")
    end, limit = "The end must be after the start.", "It was used 3 times already: the limit"
    assert end in page and limit in page
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["date_end"] == [end] and errors["max_uses"][0].startswith(limit)
    assert Share.objects.get(pk=share.pk).max_uses == 5


def test_the_admin_and_the_api_refuse_too_many_recipients_alike(sharer, reviewer):
    share = ShareFactory(content_object=_report(), role=reviewer, created_by=sharer)
    addresses = [f"u{n}@example.com" for n in range(sharing.MAX_RECIPIENTS + 1)]
    message = f"At most {sharing.MAX_RECIPIENTS} addresses at once."
    page = _admin(sharer).post(_panel(share, "send"), {"recipients": ", ".join(addresses)})
    assert message in page.content.decode()
    response = _api(sharer).post(
        _api_share(share, "invite"), {"recipients": addresses}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"recipients": [message]}

    assert not mail.outbox


# -- what create_share lets a creator choose -----------------------------------------------------


def test_create_share_refuses_options_that_are_not_the_creators_to_choose():
    role = RoleFactory(view=[Gadget], share=[Gadget])
    user = UserFactory()
    user.groups.add(role)
    with pytest.raises(TypeError, match="times_used"):
        sharing.create_share(user, GadgetFactory(), role=role, times_used=5)
    assert not Share.objects.exists()


def test_a_creator_chooses_the_devices_per_recipient_at_least_one():
    role = RoleFactory(view=[Gadget], share=[Gadget])
    user = member_of(role)
    share = sharing.create_share(user, GadgetFactory(), role=role, devices_per_recipient=3)
    assert Share.objects.get(pk=share.pk).device_limit == 3
    with pytest.raises(ValidationError) as refused:
        sharing.edit_share(user, share, devices_per_recipient=0)
    assert refused.value.message_dict == {"devices_per_recipient": ["Allow at least one device."]}
    assert Share.objects.get(pk=share.pk).devices_per_recipient == 3
    sharing.edit_share(user, share, devices_per_recipient=None)
    with override_settings(DIRECTUS_SHARES={"DEVICES_PER_RECIPIENT": 4}):
        assert Share.objects.get(pk=share.pk).device_limit == 4


# -- recipients ------------------------------------------------------------------------------------


def test_recipients_are_added_once_per_address_whatever_its_case():
    share = ShareFactory()
    creator = share.created_by

    added, already = sharing.add_recipients(
        creator, share, "Anna@Example.com, bob@example.com, anna@example.com", max_uses=2
    )
    again, kept = sharing.add_recipients(creator, share, ["ANNA@example.com"])

    assert [r.address for r in added] == ["anna@example.com", "bob@example.com"]
    assert already == [] and again == []
    assert [(r.address, r.max_uses) for r in kept] == [("anna@example.com", 2)]
    assert len({r.key for r in added}) == 2


@pytest.mark.parametrize(
    ("addresses", "code"),
    [
        ("nope, a@example.com", "invalid"),
        ("", "required"),
        ([f"p{n}@example.com" for n in range(sharing.MAX_RECIPIENTS + 1)], "too_many"),
        ("a" * 250 + "@example.com", "invalid"),
    ],
    ids=["invalid", "none", "too-many", "too-long"],
)
def test_refused_addresses_add_nobody(addresses, code):
    share = ShareFactory()
    with pytest.raises(sharing.RecipientsRefused) as refused:
        sharing.add_recipients(share.created_by, share, addresses)
    assert refused.value.code == code
    assert not share.recipients.exists()


def test_recipient_links_to_send_adds_the_new_and_holds_back_the_revoked():
    share = ShareFactory()
    kept = RecipientFactory(share=share, address="kept@example.com")
    RecipientFactory(share=share, address="old@example.com").revoke()
    to_mail, revoked = sharing.recipient_links_to_send(
        share.created_by, share, "New@example.com, kept@example.com, old@example.com"
    )
    assert [r.address for r in to_mail] == ["new@example.com", "kept@example.com"]
    assert to_mail[1].pk == kept.pk  # its link stays
    assert revoked == ["old@example.com"]
    assert share.recipients.count() == 3


def test_recipient_links_to_send_is_refused_to_who_may_not_manage_the_share():
    share = ShareFactory()
    with pytest.raises(sharing.SharingDenied):
        sharing.recipient_links_to_send(UserFactory(is_staff=True), share, "a@example.com")
    assert not share.recipients.exists()


def test_a_recipient_limit_below_one_is_refused():
    share = ShareFactory()
    with pytest.raises(ValidationError):
        sharing.add_recipients(share.created_by, share, "a@example.com", max_uses=0)
    assert not share.recipients.exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda user, r: sharing.add_recipients(user, r.share, "new@example.com"),
        sharing.revoke_recipient,
        sharing.reenable_recipient,
        sharing.rotate_recipient,
        sharing.delete_recipient,
        sharing.resend_refusal,
        sharing.allow_one_more_device,
    ],
    ids=["add", "revoke", "reenable", "rotate", "delete", "resend", "one_more_device"],
)
def test_only_who_manages_the_share_changes_its_recipients(change):
    recipient = RecipientFactory()
    flag_forwarded(recipient)  # so that one more device is allowed to who manages it
    key = recipient.key
    for stranger in (
        UserFactory(),
        AnonymousUser(),
        UserFactory(is_superuser=True, is_active=False),
    ):
        with pytest.raises(sharing.SharingDenied):
            change(stranger, recipient)
    recipient.refresh_from_db()
    assert (recipient.key, recipient.is_revoked) == (key, False)
    assert list(recipient.share.recipients.all()) == [recipient]
    change(UserFactory(is_superuser=True), recipient)  # a superuser manages every share


def test_revoke_reenable_and_rotate_end_what_the_link_granted():
    recipient = RecipientFactory()
    creator = recipient.share.created_by
    old_key = recipient.key

    sharing.revoke_recipient(creator, recipient)
    sharing.revoke_recipient(creator, recipient)  # again: nothing more changes
    assert recipient.is_revoked and recipient.grant_epoch == 1
    sharing.reenable_recipient(creator, recipient)
    assert not recipient.is_revoked and recipient.grant_epoch == 1
    sharing.rotate_recipient(creator, recipient)
    assert recipient.key != old_key and recipient.grant_epoch == 2


def test_a_recipients_link_is_resent_only_while_it_and_its_share_can_open():
    recipient = RecipientFactory()
    creator = recipient.share.created_by
    assert sharing.resend_refusal(creator, recipient) is None
    recipient.revoke()
    assert "revoked" in sharing.resend_refusal(creator, recipient)
    recipient.reenable()
    recipient.share.revoke()
    assert "nobody can open this share" in sharing.resend_refusal(creator, recipient)


def test_allowing_one_more_device_lets_the_link_open_on_one_more():
    recipient = RecipientFactory()
    flag_forwarded(recipient)
    limit = recipient.device_limit
    sharing.allow_one_more_device(recipient.share.created_by, recipient)
    recipient.refresh_from_db()
    assert recipient.device_limit == limit + 1


def test_one_more_device_is_allowed_only_for_a_link_that_needs_one():
    """The API allowed a device on every call – a retried request gave two, and enough calls
    overflowed the counter (a 500): only a link flagged forwarded, or at its limit, gets one."""
    recipient = RecipientFactory()
    creator = recipient.share.created_by
    with pytest.raises(sharing.RecipientRefused) as refused:
        sharing.allow_one_more_device(creator, recipient)  # no device opened it yet
    assert refused.value.code == "not_at_device_limit"
    flag_forwarded(recipient)
    sharing.allow_one_more_device(creator, recipient)
    with pytest.raises(sharing.RecipientRefused):  # the same click again
        sharing.allow_one_more_device(creator, recipient)
    recipient.refresh_from_db()
    assert (recipient.extra_devices, recipient.is_forwarded) == (1, False)


def test_no_more_devices_are_allowed_than_the_database_holds():
    """Past the small integer ``extra_devices`` is, PostgreSQL refused the update: a 500."""
    recipient = RecipientFactory()
    ShareRecipient.objects.filter(pk=recipient.pk).update(extra_devices=MAX_EXTRA_DEVICES)
    flag_forwarded(recipient)
    with pytest.raises(sharing.RecipientRefused):
        sharing.allow_one_more_device(recipient.share.created_by, recipient)
    recipient.refresh_from_db()
    assert recipient.extra_devices == MAX_EXTRA_DEVICES


def test_two_clicks_read_at_once_allow_one_device():
    recipient = RecipientFactory()
    flag_forwarded(recipient)
    creator = recipient.share.created_by
    first, second = (ShareRecipient.objects.get(pk=recipient.pk) for _ in range(2))
    sharing.allow_one_more_device(creator, first)
    with pytest.raises(sharing.RecipientRefused):
        sharing.allow_one_more_device(creator, second)  # read before the first was saved
    recipient.refresh_from_db()
    assert recipient.extra_devices == 1


def flag_forwarded(recipient: ShareRecipient) -> None:
    """``recipient``'s link as a refused device leaves it: flagged forwarded."""
    ShareRecipient.objects.filter(pk=recipient.pk).update(forwarded_at=timezone.now())
    recipient.refresh_from_db()


def test_a_recipient_whose_link_was_tried_is_not_deleted():
    recipient = RecipientFactory()
    open_share(Client(), opened_through(recipient))
    with pytest.raises(sharing.RecipientRefused) as refused:
        sharing.delete_recipient(recipient.share.created_by, recipient)
    assert refused.value.code == "recipient_in_log"
    assert recipient.share.recipients.exists()
