"""The built book, opened page by page in headless Chromium, as a reader's browser shows it.

The site is served on 127.0.0.1 from the session's build (``book_site``) and requests to any other host are
blocked: the site must work offline, with MathJax, require.js and the widget renderer served from its own
_static/vendor/ (book/_vendor/fetch_assets.py). Each page must load nothing from elsewhere, log no console error,
render every embedded widget and every formula, show figure text of at least 9 px at display size and keep every
table inside its column (or in its own scrolling box). Runs under CI; skips locally without Chromium.
"""

from __future__ import annotations

import json
import re
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

MIN_FIGURE_TEXT_PX = 9  # issue 16: no figure text under 9 px at display size

# Resolves when every embedded widget view has been rendered (or after the timeout): the widget renderer replaces
# nothing, it inserts the rendered widget just before each <script type="...widget-view+json">.
_WIDGETS_AND_MATH = """async (timeoutMs) => {
  const deadline = Date.now() + timeoutMs;
  const views = () => Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'));
  const unrendered = () => views().filter(s => !(s.parentElement && s.parentElement.querySelector('.jupyter-widgets')));
  const rawMath = () => Array.from(document.querySelectorAll('article .math'))
    .filter(m => !m.querySelector('mjx-container'));
  while ((unrendered().length || rawMath().length) && Date.now() < deadline) {
    await new Promise(done => setTimeout(done, 100));
  }
  return {views: views().length, unrenderedWidgets: unrendered().length,
          rawMath: rawMath().map(m => m.textContent.slice(0, 60))};
}"""

# Text size in figures: an <img> holding a matplotlib SVG (text kept as text, svg.fonttype "none") is scaled by
# its displayed width over the SVG's own width; a PNG figure has no measurable text and is reported.
_SVG_TEXT = """const svgText = src => new TextDecoder('utf-8').decode(
  Uint8Array.from(atob(src.split(',')[1]), c => c.charCodeAt(0)));"""
_FIGURE_TEXT = """async () => {
  """ + _SVG_TEXT + """
  const results = [];
  for (const img of document.querySelectorAll('article img')) {
    if (img.closest('.animation') || !img.clientWidth) continue;
    const src = img.getAttribute('src') || '';
    if (!src.includes('svg')) {
      // A PNG (an explorer's picture): chiplab draws its text at 11 px or more (10 pt at 80 dpi), so it may be
      // shrunk to no less than 9/11 of its natural width.
      if (img.clientWidth < img.naturalWidth * 9 / 11) {
        results.push({src: (img.getAttribute('alt') || src).slice(0, 60), png: true,
                      shownFraction: img.clientWidth / img.naturalWidth});
      }
      continue;
    }
    const text = src.startsWith('data:') ? svgText(src) : await (await fetch(img.src)).text();
    const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
    const viewBox = (svg.getAttribute('viewBox') || '').split(/[ ,]+/).map(Number);
    const scale = img.clientWidth / (viewBox[2] || parseFloat(svg.getAttribute('width')));  // px per SVG unit
    const sizes = Array.from(svg.querySelectorAll('text')).map(t => {
      const style = (t.getAttribute('style') || '') + ';' + (t.parentElement.getAttribute('style') || '');
      const match = style.match(/font(?:-size)?:[^;]*?([0-9.]+)px/);
      return match ? parseFloat(match[1]) : null;
    }).filter(size => size !== null);
    results.push({src: (img.getAttribute('alt') || '').slice(0, 60), png: false,
                  minTextPx: sizes.length ? Math.min(...sizes) * scale : null});
  }
  return results;
}"""

# What a reader reads as labels: table headers, headings, captions, explorer messages and labels, alt text and the
# text inside figures (code, where identifiers belong, is left out).
_READER_LABELS = """() => {
  """ + _SVG_TEXT + """
  const out = [];
  const plain = element => {
    const copy = element.cloneNode(true);
    copy.querySelectorAll('code, pre, .headerlink').forEach(code => code.remove());
    return copy.textContent;
  };
  document.querySelectorAll('article th, article h1, article h2, article h3, article figcaption, '
                            + 'article .widget-html, article .widget-label').forEach(e => out.push(plain(e)));
  document.querySelectorAll('article img').forEach(img => {
    out.push(img.getAttribute('alt') || '');
    const src = img.getAttribute('src') || '';
    if (src.startsWith('data:image/svg')) {
      new DOMParser().parseFromString(svgText(src), 'image/svg+xml').querySelectorAll('text')
        .forEach(t => out.push(t.textContent));
    }
  });
  return out;
}"""
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")  # tpu_v5e, usd_per_chip_hour_a, qkv_proj.grad_a


# Tables wider than the text column, unless they sit in a box that scrolls horizontally.
_WIDE_TABLES = """() => {
  const column = document.querySelector('article.bd-article');
  if (!column) return [];
  const limit = column.getBoundingClientRect().width + 1;
  return Array.from(column.querySelectorAll('table')).filter(table => {
    if (table.getBoundingClientRect().width <= limit) return false;
    for (let box = table.parentElement; box && box !== column; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll') && box.getBoundingClientRect().width <= limit) return false;
    }
    return true;
  }).map(table => (table.querySelector('th, td') || table).textContent.trim().slice(0, 60));
}"""


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
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: errors.append(f"HTTP {response.status} {response.url}")
            if response.status >= 400 else None)
    response = page.goto(book_site + entry.html_name, wait_until="load")
    assert response is not None and response.ok, f"{entry.html_name}: HTTP {response and response.status}"

    heading = page.locator("article h1").first
    assert heading.count() == 1, f"{entry.html_name}: no <h1> in the article"
    title = heading.inner_text().strip().rstrip("#").strip()
    assert title, f"{entry.html_name}: empty <h1>"
    assert BOOK_TITLE in page.title() and title in page.title(), f"{entry.html_name}: title {page.title()!r}"

    rendering = page.evaluate(_WIDGETS_AND_MATH, 30_000)
    assert not rendering["unrenderedWidgets"], f"{entry.html_name}: widgets not rendered: {rendering}"
    assert not rendering["rawMath"], f"{entry.html_name}: formulas left as raw TeX: {rendering['rawMath']}"

    # Rendered explorers add their pictures (blob: images) to the page, so images are checked after them.
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

    small = [figure for figure in page.evaluate(_FIGURE_TEXT)
             if figure["png"] or (figure["minTextPx"] is not None and figure["minTextPx"] < MIN_FIGURE_TEXT_PX)]
    assert not small, (f"{entry.html_name}: figures with text under {MIN_FIGURE_TEXT_PX} px at display size, or "
                       f"PNG pictures shrunk below 9/11 of their size: {small}")
    wide = page.evaluate(_WIDE_TABLES)
    assert not wide, f"{entry.html_name}: tables wider than the text column (first cells): {wide}"

    leaks = sorted({f"{match!r} in {label.strip()[:70]!r}" for label in page.evaluate(_READER_LABELS)
                    for match in SNAKE_CASE.findall(label)})
    assert not leaks, f"{entry.html_name}: internal names where readers read labels: {leaks}"

    assert not blocked, f"{entry.html_name}: the page loads from the network: {blocked}"
    assert not errors, f"{entry.html_name}: console errors: {errors}"
    timings[f"browser: {entry.html_name}"] = time.perf_counter() - start
