"""The README stays a short product page with the rest one link away: every relative link of
the README and the pages it links to resolves to a file, and an anchor to a heading of it."""

import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from paths import REPO

PAGES = [
    REPO / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
    REPO / "benchmarks" / "README.md",
    REPO / "training" / "README.md",
]
README_BUDGET, PICTURE_BUDGET = 15_000, 300_000  # bytes: a page read in minutes, a light picture

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def prose(text: str) -> str:
    """The page without code blocks and inline code, where brackets are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """The heading anchors GitHub makes: lower case, punctuation dropped, spaces to hyphens,
    a repeated one numbered -1, -2, ..."""
    slugs, counts = set(), {}
    for line in FENCE.sub("", page.read_text()).splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1))
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        count = counts.get(slug, 0)
        counts[slug] = count + 1
        slugs.add(f"{slug}-{count}" if count else slug)
    return slugs


def relative_links(page: Path) -> list[str]:
    targets = LINK.findall(prose(page.read_text()))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(REPO)}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading with anchor #{anchor} in {file.name}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_anchors_follow_github():
    page = REPO / "benchmarks" / "README.md"
    assert "stops-under-load-stress_stoppy" in anchors(page)  # `code`, dots, brackets dropped


def test_readme_is_a_short_page_with_its_picture():
    readme = (REPO / "README.md").read_text()
    assert len(readme.encode()) <= README_BUDGET
    pictures = re.findall(r"!\[[^\]]*\]\(([^)\s]+)", prose(readme))
    assert pictures, "the README shows no picture"
    for picture in pictures:
        data = (REPO / picture).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) <= PICTURE_BUDGET, picture


def test_readme_commands_name_existing_scripts():
    readme = (REPO / "README.md").read_text()
    scripts = set(re.findall(r"^bash (scripts/\S+)", readme, re.M))
    assert {"scripts/demo.sh", "scripts/test.sh"} <= scripts
    assert all((REPO / s).is_file() for s in scripts), scripts


def test_picture_script_draws_the_bundled_recording(tmp_path):
    """The README's picture can be made again from the current code (scripts/readme_picture.py)."""
    out = tmp_path / "overlay.png"
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "readme_picture.py"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) <= PICTURE_BUDGET
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (2 * 640, 480)  # two frames of the recording side by side
