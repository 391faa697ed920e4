"""Explorer latency a person feels: in real JupyterLab in headless Chromium, the time from a slider key press to the
explorer's new picture being decoded and painted (median and 90th percentile per explorer and slider).

The clock runs inside the page: it starts in a capturing ``keydown`` listener (the moment the browser hands the key
to the slider) and stops two animation frames after the new image has been decoded, i.e. when its pixels are on
screen. In between: the widget's message to the kernel, the Python redraw and PNG encoding, the message back and
the browser's decode. Target (issue 16): median < 150 ms, p90 < 300 ms on 2 cores.

Usage (needs /usr/bin/chromium and the dev extra):
    .venv/bin/python benchmarks/bench_explorer_latency_browser.py [--repeats 12] [--chapter rooflines ...]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the browser helpers the JupyterLab tests use

from browser import jupyterlab_server, launch_chromium, open_notebook, run_all_cells  # noqa: E402

# Chapters with explorers, and how many explorer pictures each shows once run.
CHAPTERS = {
    "systolic_arrays": "systolic explorer",
    "memory_hierarchies": "memory explorer",
    "rooflines": "roofline explorer",
    "training_and_serving": "LLM explorer",
    "economics": "cost and design explorers",
}

_ARM = """([cellIndex, sliderIndex]) => {
  if (!window.__chiplabClock) {
    window.__chiplabClock = true;
    document.addEventListener('keydown', () => { window.__t0 = performance.now(); }, true);
  }
  const cell = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[cellIndex];
  const img = cell.querySelector('img.widget-image');
  const handle = cell.querySelectorAll('.widget-slider .noUi-handle')[sliderIndex];
  handle.focus();
  const before = img.getAttribute('src');
  window.__pending = new Promise(resolve => {
    const timer = setTimeout(() => { observer.disconnect(); resolve(null); }, 5000);
    const observer = new MutationObserver(async () => {
      if (img.getAttribute('src') === before) return;
      observer.disconnect();
      clearTimeout(timer);
      await img.decode().catch(() => null);
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - window.__t0)));
    });
    observer.observe(img, {attributes: true, attributeFilter: ['src']});
  });
  return true;
}"""

_EXPLORER_CELLS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell'))
  .map((cell, index) => ({index, sliders: cell.querySelectorAll('.widget-slider .noUi-handle').length,
                          images: cell.querySelectorAll('img.widget-image').length,
                          labels: Array.from(cell.querySelectorAll('.widget-slider'))
                            .map(slider => (slider.querySelector('.widget-label') || {}).textContent || '')}))
  .filter(cell => cell.sliders > 0 && cell.images > 0)"""


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _measure(page, cell: int, slider: int, repeats: int) -> list[float]:
    samples: list[float] = []
    keys = ["ArrowRight", "ArrowLeft"]
    for attempt in range(repeats * 2):
        if len(samples) >= repeats:
            break
        page.evaluate(_ARM, [cell, slider])
        page.keyboard.press(keys[attempt % 2])
        elapsed = page.evaluate("window.__pending")
        if elapsed is not None:
            samples.append(elapsed)
        page.wait_for_timeout(150)  # let the kernel go idle, as between a person's key presses
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=12)
    parser.add_argument("--chapter", action="append", choices=sorted(CHAPTERS))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chapters = args.chapter or list(CHAPTERS)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        work = Path(tmp)
        lab = work / "lab"
        shutil.copytree(ROOT / "book" / "chapters", lab)
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        with jupyterlab_server(lab, work_dir=work) as server:
            for chapter in chapters:
                name = f"{chapter}.md"
                open_notebook(page, server, name)
                run_all_cells(page, name, timeout_s=180)
                page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) img.widget-image", timeout=180_000)
                page.wait_for_selector('.jp-NotebookPanel:not(.lm-mod-hidden) '
                                       '.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=240_000)
                time.sleep(1.0)
                for cell in page.evaluate(_EXPLORER_CELLS):
                    for slider in sorted({0, cell["sliders"] - 1}):
                        samples = _measure(page, cell["index"], slider, args.repeats)
                        label = f"{chapter}: {cell['labels'][slider] or 'slider'} (cell {cell['index']})"
                        if not samples:
                            rows.append((label, None, None, 0))
                            continue
                        rows.append((label, statistics.median(samples), _percentile(samples, 0.9), len(samples)))
                        print(f"{label}: median {rows[-1][1]:.0f} ms, p90 {rows[-1][2]:.0f} ms, n={len(samples)}",
                              flush=True)
        browser.close()
    print("\nexplorer slider -> new picture on screen (ms), real JupyterLab in headless Chromium")
    print(f"{'explorer control':48} {'median':>8} {'p90':>8} {'n':>4}")
    for label, median, p90, count in rows:
        if median is None:
            print(f"{label:48} {'no redraw within 5 s':>22}")
        else:
            print(f"{label:48} {median:8.0f} {p90:8.0f} {count:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
