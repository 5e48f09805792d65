"""``manage.py directus_shares_purge``: which shares go, when, and that active ones never do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models.signals import post_delete, pre_delete
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directus_shares.models import Share, ShareAccess, VerificationCode
from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def purge(*args: str) -> str:
    out = StringIO()
    call_command("directus_shares_purge", *args, stdout=out)
    return out.getvalue()


def ago(days: float):
    return timezone.now() - days * DAY


def revoked(days_ago: float, **kwargs: object) -> Share:
    share = ShareFactory(**kwargs)
    share.revoke()
    Share.objects.filter(pk=share.pk).update(revoked_at=ago(days_ago))
    return share


def expired(days_ago: float, **kwargs: object) -> Share:
    return ShareFactory(date_end=ago(days_ago), **kwargs)


def used_up(days_ago: float, **kwargs: object) -> Share:
    share = ShareFactory(max_uses=2, times_used=2, **kwargs)
    Share.objects.filter(pk=share.pk).update(updated_at=ago(days_ago))
    return share


def orphaned(**kwargs: object) -> Share:
    share = ShareFactory(**kwargs)
    share.content_object.delete()
    return share


def log(share: Share, days_ago: float = 0) -> ShareAccess:
    return ShareAccess.objects.create(
        share=share, granted=False, reason="used_up", at=ago(days_ago)
    )


def remaining() -> set[Share]:
    return set(Share.objects.all())


def active_shares() -> set[Share]:
    """Shares that open, or will: none of them may ever be purged."""
    creator = UserFactory(is_active=False)  # deactivated, not deleted: the share is kept
    reenabled = revoked(400, name="re-enabled")
    reenabled.reenable()
    return {
        ShareFactory(name="plain"),
        ShareFactory(name="uses left", max_uses=3, times_used=2),
        ShareFactory(name="ends later", date_start=ago(400), date_end=ago(-1)),
        ShareFactory(name="not yet open", date_start=ago(-3), max_uses=1, times_used=1),
        ShareFactory(name="creator deactivated", created_by=creator),
        reenabled,
    }


# -- what goes ----------------------------------------------------------------------------------


def test_each_kind_past_the_grace_period_goes_and_active_shares_stay():
    keep = active_shares()
    gone = {
        revoked(40, name="revoked"),
        expired(40, name="expired"),
        used_up(40, name="used up"),
        orphaned(name="object deleted"),
    }

    output = purge()

    assert remaining() == keep
    for line in (
        "orphaned: 1 share deleted",
        "revoked: 1 share deleted",
        "expired: 1 share deleted",
        "used-up: 1 share deleted",
        "4 shares deleted, with 0 access log entries (grace period: 30 days).",
    ):
        assert line in output
    assert len(gone) == 4


def test_the_grace_period_keeps_recently_ended_shares():
    recent = {revoked(10), expired(10), used_up(10)}
    old = {revoked(40), expired(40), used_up(40)}

    purge("--older-than", "20")
    assert remaining() == recent

    purge("--older-than", "0")
    assert remaining() == set()
    assert old.isdisjoint(remaining())


def test_a_used_up_share_used_or_changed_recently_is_kept():
    last_used_recently = used_up(40)
    log(last_used_recently, days_ago=5)
    changed_recently = used_up(40)
    Share.objects.filter(pk=changed_recently.pk).update(updated_at=ago(5))
    old = used_up(40)
    log(old, days_ago=35)

    purge("--used-up")

    assert remaining() == {last_used_recently, changed_recently}


def test_orphaned_shares_have_no_grace_period():
    object_deleted = orphaned()
    creator_deleted = ShareFactory()
    creator_deleted.created_by.delete()
    model_removed = Share.objects.create(
        content_type=ContentType.objects.create(app_label="retired", model="widget"),
        object_pk="7",
    )
    keep = active_shares()

    output = purge("--orphaned", "--older-than", "100000")

    assert remaining() == keep
    assert "orphaned: 3 shares deleted" in output
    assert {object_deleted, creator_deleted, model_removed}.isdisjoint(remaining())


def test_a_revoked_share_whose_role_was_deleted_goes_as_revoked():
    share = ShareFactory()
    share.role.delete()
    Share.objects.filter(pk=share.pk).update(revoked_at=ago(40))

    assert f"#{share.pk} " in purge("--dry-run") and "role deleted" in purge("--dry-run")
    assert "revoked: 1 share deleted" in purge()


def test_the_kind_options_select_what_goes():
    old_revoked, old_expired, old_used_up = revoked(40), expired(40), used_up(40)
    gone = orphaned()

    output = purge("--expired", "--used-up")

    assert remaining() == {old_revoked, gone}
    assert "orphaned" not in output and "revoked" not in output
    assert "expired: 1 share deleted" in output and "used-up: 1 share deleted" in output
    assert {old_expired, old_used_up}.isdisjoint(remaining())


def test_a_share_of_several_kinds_counts_once_as_orphaned():
    share = revoked(1)  # within the grace period, but its object is gone too
    share.content_object.delete()

    dry = purge("--dry-run")
    assert "orphaned: 1 share would be deleted" in dry
    assert "revoked: 0 shares would be deleted" in dry
    assert "orphaned: 1 share deleted" in purge()
    assert remaining() == set()


def test_the_access_log_goes_with_its_share():
    share = expired(40)
    log(share, 41)
    log(share, 39)
    kept = ShareFactory()
    log(kept)

    output = purge()

    assert "1 share deleted, with 2 access log entries" in output
    assert list(ShareAccess.objects.values_list("share", flat=True)) == [kept.pk]


def code(share: Share, email: str, made_hours_ago: float, *, used: bool = False):
    made = timezone.now() - timedelta(hours=made_hours_ago)
    return VerificationCode.objects.create(
        share=share,
        email=email,
        code_hash="x",
        created_at=made,
        expires_at=made + timedelta(minutes=10),
        used_at=made + timedelta(minutes=1) if used else None,
    )


def test_one_time_codes_that_ended_more_than_a_day_ago_go():
    share = ShareFactory(allowed_addresses=["@example.org"])
    old = {code(share, "a@example.org", 25), code(share, "b@example.org", 25, used=True)}
    kept = {code(share, "a@example.org", 23), code(share, "c@example.org", 0.1)}

    assert "one-time codes: 2 codes would be deleted" in purge("--dry-run")
    assert VerificationCode.objects.count() == 4
    output = purge()

    assert "one-time codes: 2 codes deleted (ended more than a day ago)" in output
    assert set(VerificationCode.objects.all()) == kept
    assert old.isdisjoint(VerificationCode.objects.all())
    assert share in remaining()


def test_the_codes_option_purges_only_codes_and_share_kinds_only_shares():
    share = expired(40)
    code(share, "a@example.org", 48)

    output = purge("--expired")
    assert "one-time codes" not in output and remaining() == set()
    share = expired(40)
    code(share, "a@example.org", 48)
    output = purge("--codes")
    assert "one-time codes: 1 code deleted" in output and "expired" not in output
    assert remaining() == {share} and not VerificationCode.objects.exists()


# -- the dry run --------------------------------------------------------------------------------


def test_the_dry_run_lists_each_share_and_changes_nothing():
    shares = {
        "revoked": revoked(40, name="Old revoked"),
        "expired": expired(40, name="Old expired"),
        "used-up": used_up(40, name="Old used up"),
        "orphaned": orphaned(name="Object gone"),
    }
    log(shares["expired"], 45)
    before = remaining()

    output = purge("--dry-run")

    assert remaining() == before
    assert ShareAccess.objects.count() == 1
    gadget = shares["orphaned"]
    assert f"#{gadget.pk} 'Object gone' testapp.gadget {gadget.object_pk}: object deleted" in output
    end = shares["expired"].date_end.astimezone(UTC)
    assert (
        f"'Old expired' testapp.gadget {shares['expired'].object_pk}: expired {end:%Y-%m-%d}"
        in output
    )
    assert "'Old revoked'" in output and ": revoked " in output
    assert "'Old used up'" in output and "used up (2 of 2 uses)" in output
    assert "4 shares would be deleted, with 1 access log entry (grace period: 30 days)." in output
    assert purge("--dry-run") == output  # still all there


def test_the_dry_run_counts_what_the_real_run_deletes():
    for days in (5, 40):
        revoked(days), expired(days), used_up(days), orphaned()
    share = revoked(40)
    share.created_by.delete()  # orphaned and revoked: counted once

    dry = purge("--dry-run").splitlines()[-5:]
    real = purge().splitlines()[-5:]

    assert [line.replace("would be deleted", "deleted") for line in dry] == real


# -- how it deletes -----------------------------------------------------------------------------


def test_the_statements_do_not_grow_with_the_number_of_shares():
    def statements() -> int:
        with CaptureQueriesContext(connection) as captured:
            purge()
        return len(captured)

    for _ in range(2):
        expired(40), revoked(40), orphaned()
    few = statements()
    for _ in range(10):
        expired(40), revoked(40), orphaned()
    many = statements()
    assert remaining() == set()
    assert many == few


def test_delete_receivers_of_a_project_still_get_each_share():
    seen: list[int] = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_delete.connect(receiver, sender=Share, dispatch_uid="test_purge_receiver")
    try:
        share = expired(40)
        log(share, 40)
        assert "1 share deleted, with 1 access log entry" in purge()
    finally:
        post_delete.disconnect(dispatch_uid="test_purge_receiver", sender=Share)
    assert seen == [share.pk]


# -- bad arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "-1"], "--older-than must be 0 or more days."),
        (["--older-than", "ten"], "invalid int value: 'ten'"),
        (["--older-than", "99999999999"], "reaches back too far"),
        (["--older-than", "999999999"], "reaches back too far"),
        (["--forgotten"], "unrecognized arguments: --forgotten"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_deleted(args, message):
    share = expired(40)
    with pytest.raises(CommandError, match=message):
        purge(*args)
    assert remaining() == {share}


def test_bad_arguments_exit_non_zero_from_the_command_line():
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": "sqlite://:memory:",
    }
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "directus_shares_purge", "--older-than", "-1"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "CommandError: --older-than must be 0 or more days." in result.stderr


# -- Ctrl-C ---------------------------------------------------------------------------------------


def ctrl_c() -> None:
    raise KeyboardInterrupt


@contextmanager
def ctrl_c_when_deleting(share: Share, then: Callable[[], None] = ctrl_c) -> Iterator[None]:
    """Call ``then`` (Ctrl-C, by default) when the purge comes to delete ``share``."""

    def receiver(sender, instance, **kwargs):
        if instance.pk == share.pk:
            then()

    pre_delete.connect(receiver, sender=Share, dispatch_uid="test_purge_ctrl_c")
    try:
        yield
    finally:
        pre_delete.disconnect(sender=Share, dispatch_uid="test_purge_ctrl_c")


class CtrlCOnWrite(StringIO):
    """The terminal of a user who presses Ctrl-C while the command reports."""

    def write(self, text: str) -> int:
        raise KeyboardInterrupt


def test_ctrl_c_while_deleting_rolls_back_and_says_nothing_was_deleted():
    first = revoked(40)  # revoked shares go before expired ones
    log(first, 41)
    second = expired(40)
    log(second, 41)

    with ctrl_c_when_deleting(second), pytest.raises(CommandError) as refused:
        purge()

    assert str(refused.value) == (
        "Interrupted: nothing was deleted (the purge is one transaction, and it was rolled "
        "back). Run the command again to purge."
    )
    assert refused.value.returncode == 130
    assert remaining() == {first, second}
    assert ShareAccess.objects.count() == 2
    assert "2 shares deleted, with 2 access log entries" in purge()  # and again it works


def test_ctrl_c_after_the_commit_says_what_was_deleted():
    share = expired(40)
    log(share, 41)

    with pytest.raises(CommandError) as refused:
        call_command("directus_shares_purge", stdout=CtrlCOnWrite())

    assert str(refused.value) == (
        "Interrupted after the purge was committed: 1 share deleted, with 1 access log entry."
    )
    assert remaining() == set()


def test_ctrl_c_in_a_dry_run_says_nothing_was_deleted():
    share = expired(40)

    with pytest.raises(CommandError, match=r"^Interrupted\. Nothing was deleted \(a dry run"):
        call_command("directus_shares_purge", "--dry-run", stdout=CtrlCOnWrite())

    assert remaining() == {share}


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_while_committing_says_it_may_have_deleted_all_or_nothing():
    """The interrupt lands when the transaction has done its work and commits (here: in an
    on_commit hook, the first thing after COMMIT): the command cannot know which happened."""
    share = expired(40)

    on_commit_ctrl_c = lambda: transaction.on_commit(ctrl_c)  # noqa: E731
    with ctrl_c_when_deleting(share, then=on_commit_ctrl_c), pytest.raises(CommandError) as refused:
        purge()

    assert str(refused.value) == (
        "Interrupted while the purge was being committed: either all of it (1 share, with 0 "
        "access log entries) or nothing was deleted. Run the command with --dry-run to see what "
        "is left."
    )
