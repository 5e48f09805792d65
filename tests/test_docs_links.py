"""Every link between the docs (README.md, docs/*.md) leads somewhere: to a file that exists and,
for a page's #anchor, to one of its headings – and every docs/*.md the code names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"#{1,6} (.+)")
NAMED_DOC = re.compile(r"docs/[\w-]+\.md")


def prose_lines(page: Path) -> list[tuple[int, str]]:
    """The page's lines outside fenced code blocks, with their numbers."""
    lines, fenced = [], False
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings (a repeated heading gets ``-1``, ``-2``…)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _number, line in prose_lines(page):
        match = HEADING.match(line)
        if match:
            anchor = slug(match.group(1))
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    broken = []
    for number, line in prose_lines(page):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):  # https:, mailto: – not ours to check
                continue
            path, _hash, anchor = target.partition("#")
            destination = (page.parent / path).resolve() if path else page
            if not destination.exists():
                broken.append(f"{page.name}:{number} {target}: no such file")
            elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
                broken.append(f"{page.name}:{number} {target}: no such heading")
    return broken


def test_slug_follows_githubs_rule():
    assert slug("What it protects against – and what not") == (
        "what-it-protects-against--and-what-not"
    )
    assert slug("Collections: `view_<model>` and `share_<model>`") == (
        "collections-view_model-and-share_model"
    )


def test_a_missing_heading_is_reported(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[here](#title) [there](#elsewhere)\n```\n[code](#ignored)\n```\n")
    assert broken_links(page) == ["page.md:3 #elsewhere: no such heading"]


def test_every_link_between_the_docs_resolves():
    broken = [problem for page in PAGES for problem in broken_links(page)]
    assert broken == []


def test_every_docs_page_the_code_names_exists():
    named = {
        (source.relative_to(ROOT), name)
        for folder in ("directus_shares", "tests", "example_project", "bench")
        for source in (ROOT / folder).rglob("*.py")
        for name in NAMED_DOC.findall(source.read_text())
    }
    assert named, "the code names no docs page"
    assert [(str(source), name) for source, name in named if not (ROOT / name).is_file()] == []
