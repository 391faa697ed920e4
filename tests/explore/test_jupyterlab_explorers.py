"""The memory and roofline chapters in real JupyterLab: run the page, move an explorer's slider with the keyboard,
and the explorer's picture must be redrawn. Same recipe as tests/book/test_jupyterlab_browser.py (the chapters are
copied into tmp_path so nothing is written into book/). Runs under CI; skips locally without Chromium."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from browser import jupyterlab_server, open_notebook, press_slider, run_all_cells
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BOOK = Path(__file__).resolve().parents[2] / "book"


def _wait_for_new_src(page, image, before: str) -> None:
    page.wait_for_function("([el, before]) => el.getAttribute('src') !== before",
                           arg=[image.element_handle(), before], timeout=30_000)


def test_roofline_and_memory_explorers_in_jupyterlab(page, tmp_path, timings):
    lab = tmp_path / "lab"
    lab.mkdir()
    for name in ("rooflines.md", "memory_hierarchies.md"):
        shutil.copy(BOOK / "chapters" / name, lab / name)
    start = time.perf_counter()
    with jupyterlab_server(lab, work_dir=tmp_path) as server:
        # Rooflines: one slider (m, the tokens in flight); its picture is the explorer's only widget image.
        notebook = open_notebook(page, server, "rooflines.md")
        run_all_cells(page, "rooflines.md")
        expect(notebook.locator(".widget-slider")).to_have_count(1, timeout=120_000)
        picture = notebook.locator("img.widget-image")
        expect(picture).to_have_count(1, timeout=60_000)
        before = picture.get_attribute("src")
        moved = time.perf_counter()
        expect(press_slider(page, notebook, "ArrowRight", times=5)).to_have_text("256")
        _wait_for_new_src(page, picture, before)
        timings["jupyterlab: roofline m slider moved -> new picture"] = time.perf_counter() - moved
        # The picture changes at the first key press; wait for the summary of the last one (m = 256).
        summary = notebook.locator(".widget-html").first
        expect(summary).to_contain_text("m=256", timeout=30_000)
        expect(summary).to_contain_text("compute-bound", timeout=30_000)

        # Memory: two what-if sliders (scratchpad size, HBM bandwidth) and two pictures (level times, landscape).
        notebook = open_notebook(page, server, "memory_hierarchies.md")
        run_all_cells(page, "memory_hierarchies.md")
        expect(notebook.locator(".widget-slider")).to_have_count(2, timeout=120_000)
        pictures = notebook.locator("img.widget-image")
        expect(pictures).to_have_count(2, timeout=60_000)
        levels = pictures.first
        before = levels.get_attribute("src")
        moved = time.perf_counter()
        expect(press_slider(page, notebook, "ArrowRight", times=1, index=1)).to_have_text("×2")
        _wait_for_new_src(page, levels, before)
        timings["jupyterlab: memory HBM slider moved -> new picture"] = time.perf_counter() - moved
        expect(notebook.locator(".widget-html").first).to_contain_text("bottleneck compute", timeout=30_000)
    timings["jupyterlab: roofline and memory explorers"] = time.perf_counter() - start
