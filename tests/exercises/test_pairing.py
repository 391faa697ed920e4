"""Every exercise notebook has a MyST Markdown twin that says the same (issue 14): ``source/<a>/<name>.ipynb`` is what
nbgrader reads, ``<name>.md`` the same cells as readable text (jupytext, paired by ``source/.jupytext.toml``), so a
prose change is a readable diff. These tests fail when the two drift apart, when nbgrader's cell metadata would not
survive the text, or when nbgrader could copy a twin (solutions and hidden tests as text) into a student's release.
The fix for a drift is ``make -C exercises sync``.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest_book import ROOT
from traitlets.config import PyFileConfigLoader

EXERCISES = ROOT / "exercises"
SOURCE = EXERCISES / "source"
NOTEBOOKS = sorted(p for p in SOURCE.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
TEXTS = sorted(p for p in SOURCE.rglob("*.md") if ".ipynb_checkpoints" not in p.parts)
FIX = "run `make -C exercises sync` (jupytext --sync) and commit both files"


def _without_version(text: str) -> str:
    """The twin's text without jupytext's own version line (a newer jupytext writes the same cells)."""
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("jupytext_version:"))


def test_pairing_is_configured_for_the_whole_source_folder():
    config = tomllib.loads((SOURCE / ".jupytext.toml").read_text(encoding="utf-8"))
    assert config["formats"] == "ipynb,md:myst"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[str(p.relative_to(SOURCE)) for p in NOTEBOOKS])
def test_notebook_and_its_markdown_twin_say_the_same(notebook: Path):
    twin = notebook.with_suffix(".md")
    assert twin.is_file(), f"{twin.relative_to(ROOT)} is missing: {FIX}"
    # jupytext writes the twin from the notebook deterministically: any edit of one side alone shows here
    expected = jupytext.writes(nbformat.read(notebook, as_version=4), fmt="md:myst")
    assert _without_version(twin.read_text(encoding="utf-8")) == _without_version(expected), (
        f"{twin.relative_to(ROOT)} and {notebook.name} differ: {FIX}")
    # and reading the text back gives nbgrader every cell with its metadata (grade_id, points, locks) and source
    from_text = jupytext.read(twin)
    cells = nbformat.read(notebook, as_version=4).cells
    assert [(c.cell_type, c.source, c.metadata) for c in from_text.cells] == [
        (c.cell_type, c.source, c.metadata) for c in cells]


def test_every_markdown_twin_has_its_notebook():
    lone = [str(p.relative_to(ROOT)) for p in TEXTS if not p.with_suffix(".ipynb").is_file()]
    assert not lone, f"nbgrader reads only notebooks; create them: {FIX}: {lone}"


def test_nbgrader_never_releases_the_markdown_twins():
    # nbgrader copies every file of source/<assignment>/ into the release unless CourseDirectory.ignore matches it
    config = PyFileConfigLoader("nbgrader_config.py", path=str(EXERCISES)).load_config()
    ignored = config.CourseDirectory.ignore
    assert all(any(fnmatch.fnmatch(p.name, pattern) for pattern in ignored) for p in TEXTS), ignored
