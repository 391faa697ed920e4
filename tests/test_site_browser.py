"""The built book, opened page by page in headless Chromium, as a reader's browser shows it.

The site is served on 127.0.0.1 from the session's build (``book_site``); requests to any other host (the CDN
copies of MathJax, require.js and the widget manager) are blocked, so the test is the same offline and online
and shows what a reader without those scripts still gets. Runs under CI; skips locally without Chromium.
"""

from __future__ import annotations

import json
import time

import pytest
import yaml
from browser import (
    animations,
    article_images,
    block_external_requests,
    broken_links,
    internal_links,
    is_meaningful_alt,
    step_animation,
)
from conftest_book import BOOK, toc_entries

PAGES = toc_entries()
BOOK_TITLE = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))["title"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# JavaScript errors that pages throw for reasons outside this project, each with its reason.
KNOWN_HARMLESS_ERRORS = {
    # Sphinx 7.4 writes inline scripts added after the builder started twice (its registry re-adds them with
    # filename "" instead of None, which defeats the de-duplication); sphinx-thebe's configuration script is
    # one, so its `const` is declared twice. Thebe is off in this book, so nothing depends on it.
    "Identifier 'THEBE_JS_URL' has already been declared",
}


def _expected_animations(book_build, docname: str) -> int:
    """How many matplotlib to_jshtml animations the executed notebook produced (0 for a plain page)."""
    executed = book_build.executed_notebook(docname)
    if not executed.is_file():
        return 0
    outputs = [output for cell in json.loads(executed.read_text())["cells"] for output in cell.get("outputs", [])]
    return sum("".join(output.get("data", {}).get("text/html", "")).count('class="animation"') for output in outputs)


@pytest.mark.parametrize("entry", PAGES, ids=[entry.docname for entry in PAGES])
def test_page_in_browser(page, book_site, book_build, entry, timings):
    start = time.perf_counter()
    blocked = block_external_requests(page, book_site)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(book_site + entry.html_name, wait_until="load")
    assert response is not None and response.ok, f"{entry.html_name}: HTTP {response and response.status}"

    heading = page.locator("article h1").first
    assert heading.count() == 1, f"{entry.html_name}: no <h1> in the article"
    title = heading.inner_text().strip().rstrip("#").strip()
    assert title, f"{entry.html_name}: empty <h1>"
    assert BOOK_TITLE in page.title() and title in page.title(), f"{entry.html_name}: title {page.title()!r}"

    images = article_images(page)
    not_loaded = [image["src"] for image in images if image["width"] == 0]
    assert not not_loaded, f"{entry.html_name}: images that did not load: {not_loaded}"
    no_alt = [image["src"] for image in images if not image["inAnimation"] and not is_meaningful_alt(image["alt"])]
    assert not no_alt, f"{entry.html_name}: images without alt text: {no_alt}"

    broken = broken_links(internal_links(page, book_site), book_build.html_dir, book_site)
    assert not broken, f"{entry.html_name}: broken internal links:\n" + "\n".join(broken)

    expected = _expected_animations(book_build, entry.docname)
    found = animations(page)
    assert len(found) == expected, f"{entry.html_name}: {len(found)} animations on the page, {expected} executed"
    for index, animation in enumerate(found):
        assert animation["frameWidth"] > 0, f"{entry.html_name}: animation {index} shows no frame"
        if animation["numFrames"] > 1:
            before, after = step_animation(page, index)
            assert after != before, f"{entry.html_name}: animation {index} did not step to its next frame"

    unexpected = [error for error in errors if not any(known in error for known in KNOWN_HARMLESS_ERRORS)]
    assert not unexpected, f"{entry.html_name}: JavaScript errors: {unexpected} (blocked requests: {blocked})"
    timings[f"browser: {entry.html_name}"] = time.perf_counter() - start
