"""The Colab button works for MyST Markdown pages (issue 16): it opens the page's .ipynb twin, which the book
workflow publishes to a branch, and that notebook installs chiplab in its first cell. No network: the URL is
checked against Colab's documented GitHub form (colab.research.google.com/github/<org>/<repo>/blob/<branch>/<path>),
the notebooks against nbformat's schema."""

from __future__ import annotations

import html
import re
import sys

import pytest
import yaml
from conftest_book import BOOK, ROOT, toc_entries

sys.path.insert(0, str(BOOK / "_ext"))
from colab_launch import colab_url, convert, installs_chiplab

CONFIG = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
BRANCH = CONFIG["sphinx"]["config"]["chiplab_colab_branch"]
ORG, REPO = CONFIG["repository"]["url"].rstrip("/").split("/")[-2:]
CHAPTERS = [entry for entry in toc_entries() if entry.is_chapter]


def test_colab_url_names_the_notebook_twin_on_the_branch():
    assert (colab_url("chiplab", "chiplab", "colab", "book/chapters/rooflines.md")
            == "https://colab.research.google.com/github/chiplab/chiplab/blob/colab/book/chapters/rooflines.ipynb")


def test_every_chapter_installs_chiplab_first():
    missing = [entry.docname for entry in CHAPTERS if not installs_chiplab(entry.path.read_text(encoding="utf-8"))]
    assert not missing, f"chapters without the install cell (copy it from any chapter's first cell): {missing}"


def test_converted_chapters_are_valid_notebooks_that_install_chiplab(tmp_path):
    import nbformat  # here, not at the top: importing it costs seconds that the other tests here need not pay

    written = {path.relative_to(tmp_path).as_posix(): path for path in convert(BOOK, tmp_path)}
    for entry in CHAPTERS:
        name = f"book/{entry.docname}.ipynb"
        assert name in written, f"no notebook written for {entry.docname}"
        notebook = nbformat.read(written[name], as_version=4)
        nbformat.validate(notebook)
        assert notebook.metadata["kernelspec"]["name"] == "python3"
        first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
        assert installs_chiplab(first_code.source), f"{name}: the first code cell does not install chiplab"
        assert "jupytext" not in notebook.metadata  # a plain notebook, not one paired with a .md Colab lacks


def test_workflow_publishes_the_notebooks_to_the_configured_branch():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["colab-notebooks"]
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    assert "book/_ext/colab_launch.py" in commands and "git push" in commands
    assert "chiplab_colab_branch" in commands  # the branch is read from book/_config.yml, not retyped
    assert job["permissions"]["contents"] == "write" and "refs/heads/main" in job["if"]


@pytest.mark.slow
@pytest.mark.parametrize("entry", CHAPTERS, ids=[entry.docname for entry in CHAPTERS])
def test_chapter_has_a_colab_button_to_its_notebook(book_build, entry):
    page = book_build.html_dir / entry.html_name
    if not page.is_file():
        pytest.skip("page not rendered; see test_book_builds")
    links = {html.unescape(url) for url in re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"',
                                                      page.read_text(encoding="utf-8"))}
    expected = colab_url(ORG, REPO, BRANCH, f"{CONFIG['repository']['path_to_book']}/{entry.docname}.md")
    assert links == {expected}, f"{entry.html_name}: Colab links {sorted(links)}, expected {expected}"
