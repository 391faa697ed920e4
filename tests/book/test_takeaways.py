"""Every chapter ends its teaching with a "Key ideas" box and a "Rules of thumb" box (issue 16, item 5), each an
admonition with at least one number glued from the page's own execution (``{glue:text}`name```), placed before
"Check your understanding" so a reader meets them after the worked example and before the problems."""

from __future__ import annotations

import re

import pytest
from conftest_book import ROOT, read_cells, toc_entries

TAKEAWAY_BOXES = ("Key ideas", "Rules of thumb")
# Chapters exempt while being rebuilt (none now: the economics chapter and "How good is this model?" got their boxes
# with their rebuild on chiplab's error bands). Add a chapter here only while its rebuild is under way.
REBUILT_ON_ERROR_BANDS: set[str] = set()
CHAPTERS = [entry for entry in toc_entries() if entry.is_chapter]
CHECKED = [entry for entry in CHAPTERS if entry.docname not in REBUILT_ON_ERROR_BANDS]

_ADMONITION = re.compile(r"^(:{3,}|`{3,})\{admonition\}\s*(.+?)\s*$(.*?)^\1\s*$", re.M | re.S)


def takeaway_problems(text: str) -> list[str]:
    """What is missing from a chapter's Markdown: each box, a glued number in it, its place before the problems."""
    boxes = {match.group(2).strip(): (match.start(), match.group(3)) for match in _ADMONITION.finditer(text)}
    problems_at = text.find("## Check your understanding")
    problems = []
    for title in TAKEAWAY_BOXES:
        if title not in boxes:
            problems.append(f"no ':::{{admonition}} {title}' box")
            continue
        start, body = boxes[title]
        if "{glue:text}`" not in body:
            problems.append(f"the {title!r} box has no number glued from the page ({{glue:text}}`name`)")
        if problems_at != -1 and start > problems_at:
            problems.append(f"the {title!r} box comes after 'Check your understanding'")
    return problems


def _markdown(path) -> str:
    return "\n".join(cell.source for cell in read_cells(path) if cell.kind == "markdown")


def test_detector_finds_missing_boxes_and_unglued_numbers():
    both = (":::{admonition} Key ideas\n:class: note\n- {glue:text}`a:.0f` FLOPs\n:::\n\n"
            ":::{admonition} Rules of thumb\n:class: tip\n- {glue:text}`b`\n:::\n\n## Check your understanding\n")
    assert takeaway_problems(both) == []
    assert takeaway_problems(both.replace("Rules of thumb", "Summary")) == ["no ':::{admonition} Rules of thumb' box"]
    typed = both.replace("{glue:text}`b`", "about 3 times")
    assert takeaway_problems(typed) == ["the 'Rules of thumb' box has no number glued from the page "
                                        "({glue:text}`name`)"]
    late = "## Check your understanding\n\n" + both.replace("## Check your understanding\n", "")
    assert len(takeaway_problems(late)) == 2


def test_the_exemption_names_real_chapters():
    assert {entry.docname for entry in CHAPTERS} >= REBUILT_ON_ERROR_BANDS


@pytest.mark.parametrize("entry", CHECKED, ids=[entry.docname for entry in CHECKED])
def test_chapter_has_key_ideas_and_rules_of_thumb(entry):
    problems = takeaway_problems(_markdown(entry.path))
    assert not problems, f"{entry.path.relative_to(ROOT)}: " + "; ".join(problems) + (
        " (copy the boxes' form from book/chapters/rooflines.md)")
