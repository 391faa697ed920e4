"""The kernel explorer in real JupyterLab (Chromium): a scratch notebook shows ``kernel_explorer()``; clicking a
buffering button must redraw the timeline, and the total time the explorer shows must be the one
``chiplab.kernels.run_matmul`` gives for the same chip, shape, tiling and buffering (computed here, in the test's own
process, from the library — not read back from the widget's model). Same recipe as test_jupyterlab_explorers.py.
Runs under CI; skips locally without Chromium."""

from __future__ import annotations

import json
import time

import pytest
from browser import jupyterlab_server, open_notebook, run_all_cells
from playwright.sync_api import expect

from chiplab.kernels import MatmulTiling, core_params, instruction_tile, run_matmul
from chiplab.units import format_seconds

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "kernel_explorer.ipynb"
SIZE, BLOCK_TILES = 1024, 2  # kernel_explorer()'s defaults: trainium2, m = n = k = 1024, 2 x 2 tiles per block


def _shown_total(buffers: int) -> str:
    """The total the explorer must show, from the library: the same kernel run directly."""
    tile_k, tile_m, tile_n = instruction_tile(core_params("trainium2"))
    tiling = MatmulTiling(tile_k, tile_m, tile_n, BLOCK_TILES * tile_m, BLOCK_TILES * tile_n, buffers)
    return format_seconds(run_matmul("trainium2", shape=(SIZE,) * 3, tiling=tiling, values=False).total_s)


def _scratch_notebook() -> dict:
    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": "from chiplab.explore import kernel_explorer\n\nkernel_explorer()"}
    return {"cells": [cell], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                         "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}


def test_kernel_explorer_redraws_and_shows_the_librarys_time(page, tmp_path, timings):
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / NOTEBOOK).write_text(json.dumps(_scratch_notebook()), encoding="utf-8")
    double, single = _shown_total(2), _shown_total(1)
    assert double != single  # the click must change the number shown, or the test could not fail
    start = time.perf_counter()
    with jupyterlab_server(lab, work_dir=tmp_path) as server:
        notebook = open_notebook(page, server, NOTEBOOK)
        run_all_cells(page, NOTEBOOK)
        picture = notebook.locator("img.widget-image")
        expect(picture).to_have_count(1, timeout=120_000)
        summary = notebook.locator(".widget-html").first
        expect(summary).to_contain_text(double, timeout=60_000)
        before = picture.get_attribute("src")
        clicked = time.perf_counter()
        notebook.locator(".widget-toggle-button", has_text="one buffer").click()
        page.wait_for_function("([el, before]) => el.getAttribute('src') !== before",
                               arg=[picture.element_handle(), before], timeout=30_000)
        timings["jupyterlab: kernel explorer buffering clicked -> new timeline"] = time.perf_counter() - clicked
        expect(summary).to_contain_text(single, timeout=30_000)
        expect(summary).not_to_contain_text(double)
    timings["jupyterlab: kernel explorer"] = time.perf_counter() - start
