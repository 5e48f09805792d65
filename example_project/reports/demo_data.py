"""Demo rows for the example site, written so that seeding again updates instead of duplicating.

Shares keep their links across runs (looked up by object and name) but get their state reset:
dates move relative to now, uses go back to zero, and every earlier grant ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from directus_shares.models import Share

from .models import Comment, Document, Person, Report, Tag

ADMIN_LOGIN = ("admin", "admin")
EDITOR_LOGIN = ("editor", "editor")
SHARE_PASSWORD = "demo"

ROLES: dict[str, list[str]] = {
    "Public": [],  # DIRECTUS_SHARES["PUBLIC_ROLE"]: shares without a role grant nothing
    "Reviewer": ["view_report", "view_comment", "view_tag", "view_person"],
    "Reader": ["view_report"],
}

PEOPLE = [
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Linus Pauling", ""),
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


@dataclass(frozen=True)
class ShareSpec:
    """One demo share and what a visitor should see when opening it."""

    name: str
    report: str
    role: str | None
    expect: str
    password: str | None = None
    max_uses: int | None = None
    starts_in: timedelta | None = None
    ends_in: timedelta | None = None
    revoked: bool = False


SHARES = [
    ShareSpec("Open link", "Quarterly sales review", "Reviewer", "200: click View, no limit"),
    ShareSpec(
        "Password protected",
        "Merger due diligence",
        "Reviewer",
        f"200: password '{SHARE_PASSWORD}'",
        password=SHARE_PASSWORD,
    ),
    ShareSpec(
        "Two uses",
        "Office relocation plan",
        "Reader",
        "200: opens twice, then 410 used up",
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
    ShareSpec("Revoked", "Customer survey results", "Reviewer", "410: revoked", revoked=True),
    ShareSpec(
        "No role", "Customer survey results", None, "403: no role; the Public role grants nothing"
    ),
]


@transaction.atomic
def seed(base_url: str = "http://127.0.0.1:8000") -> list[str]:
    """Create or refresh the demo data; return one line per share with its link."""
    admin = _user(*ADMIN_LOGIN, superuser=True)
    _editor()
    roles = _roles()
    reports = _reports()
    now = timezone.now()
    width = max(len(spec.name) for spec in SHARES)
    lines = []
    for spec in SHARES:
        share = _share(spec, reports[spec.report], roles, admin, now)
        url = base_url.rstrip("/") + share.get_absolute_url()
        lines.append(f"  {spec.name:<{width}}  {url}  ({spec.expect})")
    return lines


def first_report_url() -> str:
    """The plain detail page of the first demo report (run :func:`seed` first)."""
    return Report.objects.get(title=REPORTS[0]["title"]).get_absolute_url()


def _user(username: str, password: str, *, superuser: bool = False) -> AbstractBaseUser:
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"is_staff": True, "is_superuser": superuser, "email": f"{username}@example.com"},
    )
    if created:  # a password changed since is left alone
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _editor() -> None:
    editor = _user(*EDITOR_LOGIN)
    editor.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["reports", "directus_shares"])
    )


def _roles() -> dict[str, Group]:
    roles = {}
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="reports", codename__in=codenames
        )
        if len(permissions) != len(codenames):
            raise RuntimeError(f"Missing permissions for role {name!r}; run migrate first.")
        group.permissions.set(permissions)
        roles[name] = group
    return roles


def _reports() -> dict[str, Report]:
    people = {
        name: Person.objects.update_or_create(name=name, defaults={"email": email})[0]
        for name, email in PEOPLE
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
    admin: AbstractBaseUser,
    now: datetime,
) -> Share:
    share = Share.objects.for_object(report).filter(name=spec.name).first()
    if share is None:
        share = Share(content_object=report, name=spec.name, created_by=admin)
    else:  # a demo reset: counters and revocation are never written by save(), on purpose
        Share.objects.filter(pk=share.pk).update(times_used=0, revoked_at=None)
        share.refresh_from_db()
    share.role = roles[spec.role] if spec.role else None
    share.date_start = now + spec.starts_in if spec.starts_in is not None else None
    share.date_end = now + spec.ends_in if spec.ends_in is not None else None
    share.max_uses = spec.max_uses
    share.set_password(spec.password)  # also ends every grant of an earlier run
    share.save()
    if spec.revoked:
        share.revoke()
    return share
