"""Fixtures shared by the whole test suite.

* ``chromium_path`` / ``browser`` / ``page``: headless Debian Chromium driven by Python playwright. Without
  /usr/bin/chromium the browser tests *skip* on a user's machine, with the command that installs it, and *fail*
  under CI (``CI=true``), where a skipped browser test would hide a broken site.
* ``book_build`` / ``book_site``: the whole book, built and executed once per session (tests/conftest_book.py).
* ``strict_figures``: turns every warning into an error while a figure is drawn, and closes all figures after.
* ``timings``: seconds worth reporting; they are printed in a "chiplab timings" section at the end of the run.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

# pytest's importlib import mode does not put tests/ on sys.path; the helper modules next to this file
# (browser.py, conftest_book.py) are imported by name, so add it once here.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest_book import book_build, book_site  # fixtures, re-exported for every test module

__all__ = ["book_build", "book_site"]

DEFAULT_CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def strict_figures():
    """Figures must render without warnings (a warning is a defect a reader would see); close them afterwards."""
    import warnings

    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    plt.close("all")
_TIMINGS = pytest.StashKey[dict]()


def running_under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the Chromium binary; skips (locally) or fails (CI=true) when it is missing.

    ``CHIPLAB_CHROMIUM=/path/to/chromium`` points the tests at another Chromium-based browser.
    """
    path = os.environ.get("CHIPLAB_CHROMIUM", DEFAULT_CHROMIUM)
    if Path(path).is_file() and os.access(path, os.X_OK):
        return path
    message = (
        f"browser tests need Chromium at {path}, which is missing. Install Debian's package with "
        "`sudo apt-get install chromium` (Python playwright drives it; never run `playwright install`), "
        "or set CHIPLAB_CHROMIUM to another Chromium binary."
    )
    if running_under_ci():
        pytest.fail(f"CI=true, so a missing browser is a failure, not a skip: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the session (a playwright ``Browser``); tests open their own pages."""
    from browser import launch_chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright, chromium_path)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page per test (no shared cookies, storage or routes)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def timings(request) -> dict[str, float]:
    """``timings["what"] = seconds``: reported after the run, so slow steps are seen without ``-s``."""
    return request.config.stash.setdefault(_TIMINGS, {})


# The fast tier (``make check``: ``-m "not slow and not browser"``) answers in seconds. Besides tests marked
# ``slow`` in their own file, these take seconds each (measured with ``--durations``; see the issue "one home for
# each idea"): whole-process nbgrader runs, widget explorers that render figures, hypothesis sweeps, the robustness
# suite over every public function, and CLI runs in subprocesses. ``make test`` runs them all.
SLOW_PATHS = (
    "tests/exercises/test_exercises.py",
    "tests/exercises/",
    "tests/robustness/",
    "tests/explore/test_explore_",
    "tests/kernels/test_kernels_explorer.py",
    "tests/systolic/test_systolic_properties.py",
    "tests/viz/test_viz_systolic.py::test_animation_is_self_contained_html",
    "tests/cli/test_cli.py::test_help_everywhere",
    "tests/cli/test_cli.py::test_serve_and_validate",  # `chiplab validate` runs every published run (grows)
    # importing nbformat costs ~2.5 s (jsonschema's rfc3987_syntax grammar), more than the test itself
    "tests/book/test_colab_launch.py::test_converted_chapters_are_valid_notebooks_that_install_chiplab",
)
_SLOW_DESELECTED = re.compile(r"\bnot\s+slow\b")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With slow tests deselected (``make check``), a file or folder that SLOW_PATHS lists whole is not even
    imported: collecting tests/exercises/ alone imports nbgrader, JupyterHub helpers and the answer keys, seconds
    of the fast tier's budget spent on tests it would then deselect."""
    if not _SLOW_DESELECTED.search(config.option.markexpr or ""):
        return None
    root = Path(__file__).resolve().parents[1]
    where = collection_path.resolve()
    if not where.is_relative_to(root):
        return None
    name = where.relative_to(root).as_posix() + ("/" if where.is_dir() else "")
    return any(name.startswith(prefix) for prefix in SLOW_PATHS if "::" not in prefix) or None


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).resolve().parents[1]
    for item in items:
        where = Path(str(item.path)).resolve()
        name = (where.relative_to(root).as_posix() if where.is_relative_to(root) else where.as_posix())
        if any(f"{name}::{item.name}".startswith(prefix) or (name.startswith(prefix) and "::" not in prefix)
               for prefix in SLOW_PATHS):
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    recorded = config.stash.get(_TIMINGS, {})
    if recorded:
        terminalreporter.section("chiplab timings")
        for what, seconds in recorded.items():
            terminalreporter.write_line(f"{seconds:8.1f} s  {what}")
