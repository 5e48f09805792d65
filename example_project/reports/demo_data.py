"""Demo rows for the example site, written so that seeding again updates instead of duplicating.

Shares keep their links across runs (looked up by object and name) but get their state reset:
dates move relative to now, uses go back to zero, and every earlier grant ends. Roles, their
rules and the users' groups are set to what is written here, also when edited in the admin since.

What the demo shows (``docs/permissions.md`` walks through it):

* roles with different fields and rows: Reviewer (reports marked done, every field but the
  confidential notes) and Reader (title and summary of any report);
* a share right limited by a filter: Editors may share reports marked done only, and the editor
  one more report through a django-guardian object grant;
* a field no role ever sees (``Person.NEVER_SHARED_FIELDS``), a role limited to a network, and
  shares narrowed by – or no longer opening because of – the user who created them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from directus_shares.models import RoleRule, RoleSettings, Share, ShareRecipient

from .models import Comment, Document, Person, Report, Tag

ADMIN_LOGIN = ("admin", "admin")
EDITOR_LOGIN = ("editor", "editor")
READER_LOGIN = ("reader", "reader")
SHARE_PASSWORD = "demo"

#: The report the editor may share although it is not marked done (a django-guardian grant).
GRANTED_REPORT = "Merger due diligence"
#: Where the Office role's shares open from; the demo runs on 127.0.0.1, outside it.
OFFICE_NETWORK = "10.0.0.0/8"

#: What the Reviewer role may read of a report: everything but the confidential notes.
REVIEWER_REPORT_FIELDS = [
    "title",
    "summary",
    "status",
    "author",
    "tags",
    "budget",
    "published_on",
    "reviewed_at",
    "is_public",
    "attachment",
    "website",
    "comments",
]


@dataclass(frozen=True)
class RoleSpec:
    """A role (a Group): its permissions, its rule per model and its settings."""

    name: str
    about: str
    permissions: list[str]  # "app_label.codename"
    rules: dict[type[models.Model], dict[str, Any]] = field(default_factory=dict)
    assignable: bool = False  # non-members may give it to their shares
    allowed_networks: str = ""


def _reports_permissions(*actions: str) -> list[str]:
    return [
        f"reports.{action}_{model._meta.model_name}"
        for model in (Report, Comment, Document, Person, Tag)
        for action in actions
    ]


ROLES = [
    RoleSpec(
        "Reviewer",
        "reports marked done: every field but the confidential notes; author, tags, comments",
        ["reports.view_report", "reports.view_comment", "reports.view_tag", "reports.view_person"],
        {Report: {"fields": REVIEWER_REPORT_FIELDS, "read_filter": {"status": "done"}}},
        assignable=True,
    ),
    RoleSpec(
        "Reader",
        "title and summary of any report; members may share reports",
        ["reports.view_report", "reports.share_report"],
        {Report: {"fields": ["title", "summary"]}},
    ),
    RoleSpec(
        "Editors",
        "every field of every report (explicitly all); members may share reports marked done",
        [
            *_reports_permissions("add", "change", "delete", "view"),
            "reports.share_report",
            *(f"directus_shares.{action}_share" for action in ("add", "change", "delete", "view")),
        ],
        {Report: {"all_fields": True, "share_filter": {"status": "done"}}},
    ),
    RoleSpec(
        "Office",
        f"every field of reports, but its shares open only from {OFFICE_NETWORK}",
        ["reports.view_report"],
        assignable=True,
        allowed_networks=OFFICE_NETWORK,
    ),
    # DIRECTUS_SHARES["PUBLIC_ROLE"]: shares without a role grant what it grants – nothing.
    RoleSpec("Public", "nothing: the PUBLIC_ROLE, for shares without a role", []),
]


@dataclass(frozen=True)
class UserSpec:
    """A demo user; the password is the user name (set only when the user is created)."""

    username: str
    about: str
    groups: list[str] = field(default_factory=list)
    superuser: bool = False
    active: bool = True


USERS = [
    UserSpec("admin", "superuser", superuser=True),
    UserSpec(
        "editor",
        f"in Editors: shares reports marked done, and {GRANTED_REPORT!r} (object grant)",
        ["Editors"],
    ),
    UserSpec("reader", "in Reader: sees – and so shares – titles and summaries only", ["Reader"]),
    UserSpec(
        "former",
        "in Editors, deactivated: what they shared no longer opens",
        ["Editors"],
        active=False,
    ),
]

PEOPLE = [
    ("Ada Lovelace", "ada@example.com", "+44 20 7946 0018"),
    ("Grace Hopper", "grace@example.com", "+1 202 555 0143"),
    ("Linus Pauling", "", ""),
]

TAGS = [
    ("finance", "Finance"),
    ("legal", "Legal"),
    ("q3-2025", "Q3 2025"),
    ("internal", "Internal"),
]

REPORTS = [
    {
        "title": "Quarterly sales review",
        "summary": "Sales grew 12% over the quarter.\nThe northern region led the growth.",
        "status": Report.Status.DONE,
        "author": "Ada Lovelace",
        "tags": ["finance", "q3-2025"],
        "confidential_notes": "CONFIDENTIAL: one customer ordered a third of the northern sales.",
        "budget": Decimal("12500.00"),
        "published_on": date(2025, 10, 1),
        "is_public": True,
        "website": "https://example.com/sales",
    },
    {
        "title": "Merger due diligence",
        "summary": "Findings of the legal and financial review.",
        "status": Report.Status.REVIEW,
        "author": "Grace Hopper",
        "tags": ["legal", "internal"],
        "confidential_notes": "CONFIDENTIAL: merger with ACME, announcement planned for March.",
        "budget": Decimal("250000.00"),
    },
    {
        "title": "Office relocation plan",
        "summary": "Moving the team to the new building in two phases.",
        "status": Report.Status.DRAFT,
        "author": "Linus Pauling",
        "tags": ["internal"],
        "budget": Decimal("48000.50"),
    },
    {
        "title": "Security audit 2025",
        "summary": "No critical findings; three medium ones are being fixed.",
        "status": Report.Status.DONE,
        "author": "Ada Lovelace",
        "tags": ["internal", "legal"],
        "budget": Decimal("9900.00"),
        "published_on": date(2025, 9, 15),
    },
    {
        "title": "Customer survey results",
        "summary": "1,204 answers; satisfaction is up four points.",
        "status": Report.Status.REVIEW,
        "author": "Grace Hopper",
        "tags": ["q3-2025"],
        "budget": Decimal("3000.00"),
        "is_public": True,
    },
]


#: Whom the demo's recipient link belongs to, and the domain its address-only share opens for.
DEMO_RECIPIENT = "ada@example.com"
DEMO_DOMAIN = "example.com"


@dataclass(frozen=True)
class ShareSpec:
    """One demo share, who created it, and what a visitor should see when opening it.

    The creator holds the share right on the report (what ``create_share`` asks), and the share
    shows the role's rights cut down to the creator's at every visit.
    """

    name: str
    report: str
    role: str | None
    expect: str
    created_by: str = "editor"
    password: str | None = None
    max_uses: int | None = None
    starts_in: timedelta | None = None
    ends_in: timedelta | None = None
    revoked: bool = False
    #: The link printed is this address's own (a recipient of the share), not the common one.
    recipient: str | None = None
    recipient_max_uses: int | None = None
    #: The recipient's link opens only after a code mailed to the recipient's own address.
    verify_recipients: bool = False
    #: The share opens only for these addresses or @domains, after a code mailed to the address.
    allowed_addresses: tuple[str, ...] = ()


SHARES = [
    ShareSpec(
        "Open link",
        "Quarterly sales review",
        "Reviewer",
        "200: Reviewer, by editor: every field but the confidential notes; author, tags, comments",
    ),
    ShareSpec(
        "Password protected",
        GRANTED_REPORT,
        "Editors",
        f"200: password '{SHARE_PASSWORD}'; Editors: every field, the confidential notes too;"
        " by editor, who may share this report in review through an object grant",
        password=SHARE_PASSWORD,
    ),
    ShareSpec(
        "Two uses",
        "Office relocation plan",
        "Reader",
        "200: opens twice, then 410 used up; Reader: title and summary only",
        created_by="admin",
        max_uses=2,
    ),
    ShareSpec(
        "Opens tomorrow",
        "Security audit 2025",
        "Reviewer",
        "403: not open yet",
        starts_in=timedelta(days=1),
    ),
    ShareSpec(
        "Expired",
        "Security audit 2025",
        "Reviewer",
        "410: expired an hour ago",
        starts_in=-timedelta(days=2),
        ends_in=-timedelta(hours=1),
    ),
    ShareSpec(
        "Revoked",
        "Customer survey results",
        "Reviewer",
        "410: revoked",
        created_by="admin",
        revoked=True,
    ),
    ShareSpec(
        "No role",
        "Customer survey results",
        None,
        "403: no role; the Public role grants nothing",
        created_by="admin",
    ),
    ShareSpec(
        "Not done",
        "Customer survey results",
        "Reviewer",
        "403: Reviewer reads only reports marked done; this one is in review",
        created_by="admin",
    ),
    ShareSpec(
        "Narrowed by creator",
        "Quarterly sales review",
        "Reviewer",
        "200: Reviewer, but by reader, who sees title and summary only – so does the link",
        created_by="reader",
    ),
    ShareSpec(
        "Creator deactivated",
        "Security audit 2025",
        "Reviewer",
        "410: its creator, former, was deactivated",
        created_by="former",
    ),
    ShareSpec(
        "Office only",
        "Quarterly sales review",
        "Office",
        f"403: the Office role's shares open only from {OFFICE_NETWORK}",
    ),
    ShareSpec(
        "Ada's own link",
        "Quarterly sales review",
        "Reviewer",
        f"200: a link of {DEMO_RECIPIENT}'s own, verified: it opens after a code mailed to her"
        " (printed in this console) – three uses of hers, counted apart from the share's, on"
        " at most two browsers: a third is refused as a forwarded link (403)",
        recipient=DEMO_RECIPIENT,
        recipient_max_uses=3,
        verify_recipients=True,
    ),
    ShareSpec(
        "Addresses only",
        "Quarterly sales review",
        "Reviewer",
        f"200: opens for any address @{DEMO_DOMAIN} after a one-time code – the code mail is"
        " printed in this console",
        allowed_addresses=(f"@{DEMO_DOMAIN}",),
    ),
]


@transaction.atomic
def seed(base_url: str = "http://127.0.0.1:8000") -> list[str]:
    """Create or refresh the demo data; return one line per share with its link."""
    roles = _roles()
    users = {spec.username: _user(spec, roles) for spec in USERS}
    reports = _reports()
    # The editor may also share this report, though it is not done: an object grant.
    assign_perm("reports.share_report", users["editor"], reports[GRANTED_REPORT])
    now = timezone.now()
    width = max(len(spec.name) for spec in SHARES)
    lines = []
    for spec in SHARES:
        share = _share(spec, reports[spec.report], roles, users[spec.created_by], now)
        link = _recipient(share, spec) if spec.recipient else share
        url = base_url.rstrip("/") + link.get_absolute_url()
        lines.append(f"  {spec.name:<{width}}  {url}  ({spec.expect})")
    return lines


def overview() -> list[str]:
    """What the printed links rely on: the users and the roles, one line each."""
    user_width = max(len(spec.username) for spec in USERS)
    role_width = max(len(spec.name) for spec in ROLES)
    return [
        "Users (password = user name):",
        *(f"  {spec.username:<{user_width}}  {spec.about}" for spec in USERS),
        "Roles (a share shows its role's rights, cut down to its creator's):",
        *(f"  {spec.name:<{role_width}}  {spec.about}" for spec in ROLES),
        "Never shown through any share, whatever its role: a person's private phone"
        " (Person.NEVER_SHARED_FIELDS)",
    ]


def first_report_url() -> str:
    """The plain detail page of the first demo report (run :func:`seed` first)."""
    return Report.objects.get(title=REPORTS[0]["title"]).get_absolute_url()


def _user(spec: UserSpec, roles: dict[str, Group]) -> AbstractBaseUser:
    user, created = get_user_model().objects.update_or_create(
        username=spec.username,
        defaults={"is_staff": True, "is_superuser": spec.superuser, "is_active": spec.active},
        create_defaults={
            "is_staff": True,
            "is_superuser": spec.superuser,
            "is_active": spec.active,
            "email": f"{spec.username}@example.com",
        },
    )
    if created:  # a password changed since is left alone
        user.set_password(spec.username)
        user.save(update_fields=["password"])
    user.groups.set([roles[name] for name in spec.groups])
    user.user_permissions.clear()  # everything comes from the groups
    return user


def _roles() -> dict[str, Group]:
    roles = {}
    for spec in ROLES:
        group, _ = Group.objects.get_or_create(name=spec.name)
        group.permissions.set(_permissions(spec))
        rules = [_rule(group, model, options) for model, options in spec.rules.items()]
        RoleRule.objects.filter(role=group).exclude(pk__in=[r.pk for r in rules]).delete()
        RoleSettings.objects.update_or_create(
            role=group,
            defaults={"assignable": spec.assignable, "allowed_networks": spec.allowed_networks},
        )
        roles[spec.name] = group
    return roles


def _permissions(spec: RoleSpec) -> list[Permission]:
    wanted = {tuple(name.split(".")) for name in spec.permissions}
    found = [
        permission
        for permission in Permission.objects.filter(
            codename__in=[codename for _, codename in wanted]
        ).select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    if len(found) != len(wanted):
        raise RuntimeError(f"Missing permissions for role {spec.name!r}; run migrate first.")
    return found


def _rule(group: Group, model: type[models.Model], options: dict[str, Any]) -> RoleRule:
    content_type = ContentType.objects.get_for_model(model)
    rule = RoleRule.objects.filter(role=group, content_type=content_type).first()
    rule = rule or RoleRule(role=group, content_type=content_type)
    rule.all_fields = options.get("all_fields", False)
    rule.fields = options.get("fields", [])
    rule.read_filter = options.get("read_filter", {})
    rule.share_filter = options.get("share_filter", {})
    rule.full_clean()  # the checks the admin makes: known fields, valid lookups
    rule.save()
    return rule


def _reports() -> dict[str, Report]:
    people = {
        name: Person.objects.update_or_create(
            name=name, defaults={"email": email, "private_phone": phone}
        )[0]
        for name, email, phone in PEOPLE
    }
    tags = {
        slug: Tag.objects.update_or_create(slug=slug, defaults={"label": label})[0]
        for slug, label in TAGS
    }
    reports = {}
    for index, data in enumerate(REPORTS):
        fields = {k: v for k, v in data.items() if k not in ("title", "author", "tags")}
        report, _ = Report.objects.update_or_create(
            title=data["title"],
            defaults={
                "confidential_notes": "",
                **fields,
                "author": people[data["author"]],
                "reviewed_at": timezone.now() - timedelta(days=index + 1),
            },
        )
        report.tags.set([tags[slug] for slug in data["tags"]])
        _comments_and_documents(report, index)
        reports[report.title] = report
    return reports


def _comments_and_documents(report: Report, index: int) -> None:
    for number, (author, body) in enumerate(
        [("Ada", "Looks good to me."), ("Grace", "Please check the numbers in section 2.")]
    ):
        Comment.objects.get_or_create(
            report=report,
            author_name=author,
            body=body,
            defaults={"created_at": timezone.now() - timedelta(days=index, hours=number)},
        )
    Document.objects.get_or_create(report=report, title=f"Appendix to {report.title}")
    if index == 0 and not report.attachment:
        report.attachment.save("sales-figures.txt", ContentFile(b"Q3: 1,250,000 EUR\n"))


def _share(
    spec: ShareSpec,
    report: Report,
    roles: dict[str, Group],
    creator: AbstractBaseUser,
    now: datetime,
) -> Share:
    share = Share.objects.for_object(report).filter(name=spec.name).first()
    if share is not None and share.created_by_id != creator.pk:
        share.delete()  # a share's creator is fixed; an older demo had another one
        share = None
    if share is None:
        share = Share(content_object=report, name=spec.name, created_by=creator)
    else:  # a demo reset: counters and revocation are never written by save(), on purpose
        Share.objects.filter(pk=share.pk).update(times_used=0, revoked_at=None)
        share.refresh_from_db()
    share.role = roles[spec.role] if spec.role else None
    share.date_start = now + spec.starts_in if spec.starts_in is not None else None
    share.date_end = now + spec.ends_in if spec.ends_in is not None else None
    share.max_uses = spec.max_uses
    share.allowed_addresses = list(spec.allowed_addresses)
    share.verify_recipients = spec.verify_recipients
    share.set_password(spec.password)  # also ends every grant of an earlier run
    share.save()
    if spec.revoked:
        share.revoke()
    return share


def _recipient(share: Share, spec: ShareSpec) -> ShareRecipient:
    """The recipient ``spec`` names, with its own link, as fresh as the share (a demo reset: its
    uses and the devices that opened it forgotten, not forwarded)."""
    fresh = {"times_used": 0, "revoked_at": None, "forwarded_at": None, "extra_devices": 0}
    recipient, _ = ShareRecipient.objects.update_or_create(
        share=share,
        address=spec.recipient,
        defaults={"max_uses": spec.recipient_max_uses, **fresh},
    )
    recipient.devices.all().delete()
    return recipient
