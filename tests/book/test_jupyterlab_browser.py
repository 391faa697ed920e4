"""A student's path through JupyterLab: open a notebook, run it, move a slider, see the figure change.

Recipe: /work/shared/reference/toolchain.md §2(b), with the helpers in tests/browser.py, driving the explorers
of the book's own chapters (copied into tmp_path so nothing is written into book/). Runs under CI; skips
locally without Chromium.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from browser import jupyterlab_server, open_notebook, press_slider, run_all_cells
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BOOK = Path(__file__).resolve().parents[2] / "book"


def test_systolic_explorer_in_jupyterlab(page, tmp_path, timings):
    """The book's systolic-array chapter, run in real JupyterLab: drag the explorer's cycle slider with the
    keyboard and the array picture (an ipywidgets Image) must be redrawn."""
    lab = tmp_path / "lab"
    shutil.copytree(BOOK / "chapters", lab)
    start = time.perf_counter()
    with jupyterlab_server(lab, work_dir=tmp_path) as server:
        timings["jupyterlab: server up"] = time.perf_counter() - start
        notebook = open_notebook(page, server, "systolic_arrays.md")
        run_all_cells(page, "systolic_arrays.md")
        # The explorer: sliders for rows, columns and the cycle; its picture is an <img class="widget-image">.
        expect(notebook.locator(".widget-slider")).to_have_count(3, timeout=120_000)
        picture = notebook.locator("img.widget-image")
        expect(picture).to_have_count(1, timeout=60_000)
        timings["jupyterlab: chapter opened, run, explorer shown"] = time.perf_counter() - start
        before = picture.get_attribute("src")

        moved = time.perf_counter()
        expect(press_slider(page, notebook, "ArrowRight", times=3, index=2)).to_have_text("3")
        page.wait_for_function("([el, before]) => el.getAttribute('src') !== before",
                               arg=[picture.element_handle(), before], timeout=30_000)
        timings["jupyterlab: cycle slider moved -> new picture"] = time.perf_counter() - moved
        assert "cycles" in notebook.locator(".widget-html").first.inner_text()
    timings["jupyterlab: whole test"] = time.perf_counter() - start
