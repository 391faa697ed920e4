"""Every notebook executes without error.

Who executes what, and why (measured on 2 cores with chapter-like notebooks: chiplab calls, a matplotlib
figure, a to_jshtml animation):

* Book pages are executed by the book build, and by nothing else. ``jupyter-book build`` has to execute them
  anyway (the prose glues numbers from their outputs), at about 1.3 s per notebook plus 4 s of Sphinx.
  Running them again with nbmake would add about 1.5 s per notebook plus 2 s of start-up, and ``-n 2`` did not
  help (kernel start-up dominates), so a second executor would cost ~30 % more CI time for no extra checking.
  The tests below therefore read the executed copies the session's build leaves in ``_build/jupyter_execute``
  (one test per notebook, so a report names the notebook), and the build's log gives each notebook's time.
  Any failing cell also fails ``test_book_builds``, with its traceback.
* Notebooks outside the book (``exercises/``) are not executed by the build, so they are executed here with
  nbclient, one test each. ``pytest --nbmake book/ exercises/`` still works by hand, for .ipynb files.
"""

from __future__ import annotations

import json
import time

import pytest
from conftest_book import BOOK, ROOT, is_notebook, isolated_jupyter_env, toc_entries

NOTEBOOK_PAGES = [entry for entry in toc_entries() if is_notebook(entry.path)]
OTHER_NOTEBOOKS = sorted(
    # Only the source notebooks: releases (solutions stripped, raising NotImplementedError by design) and answer
    # keys are generated outputs.
    path for path in (ROOT / "exercises" / "source").rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
)
CELL_TIMEOUT_S = 120  # the same per-cell limit as the book build (book/_config.yml, execute.timeout)


def _output_errors(notebook: dict) -> list[str]:
    problems = []
    for number, cell in enumerate(notebook["cells"], start=1):
        if cell["cell_type"] != "code":
            continue
        if cell.get("source") and cell.get("execution_count") is None:
            problems.append(f"cell {number} was not executed")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"cell {number} raised {output.get('ename')}: {output.get('evalue')}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("entry", NOTEBOOK_PAGES, ids=[entry.docname for entry in NOTEBOOK_PAGES])
def test_book_notebook_executed(book_build, entry):
    """Each notebook page ran to its last cell in the session's book build."""
    executed = book_build.executed_notebook(entry.docname)
    source = entry.path.relative_to(BOOK).as_posix()
    if not executed.is_file():
        failed = book_build.failed_notebook()
        if failed and failed != source:
            pytest.fail(f"not executed: the book build stopped at {failed} first (see its test)", pytrace=False)
        pytest.fail(f"{source} did not execute in the book build:\n{book_build.problems()}", pytrace=False)
    problems = _output_errors(json.loads(executed.read_text(encoding="utf-8")))
    assert not problems, f"{source}: " + "; ".join(problems) + "\n" + book_build.problems()
    assert source in book_build.execution_seconds(), f"the build log does not say that {source} was executed"


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    OTHER_NOTEBOOKS or [pytest.param(None, marks=pytest.mark.skip(reason="no notebooks under exercises/ yet"))],
    ids=[path.relative_to(ROOT).as_posix() for path in OTHER_NOTEBOOKS] or None,
)
def test_notebook_executes(path, tmp_path, monkeypatch, timings):
    """A notebook outside the book runs top to bottom in its own folder, with the book's per-cell timeout."""
    import nbformat
    from nbclient import NotebookClient

    for variable, value in isolated_jupyter_env(tmp_path / "jupyter-home").items():
        monkeypatch.setenv(variable, value)  # no user kernelspec or IPython profile leaks in
    monkeypatch.delenv("MPLBACKEND", raising=False)
    # An exercise's source notebook carries its hidden tests, which import the grader-only answers (never on a
    # student's path): the instructor's checkout puts them on the path, as the grader and `keys` do.
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "exercises" / "grader"))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError with the failing cell's source and its traceback
    timings[f"executing {path.relative_to(ROOT)}"] = time.perf_counter() - start
