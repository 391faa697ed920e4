"""Answer keys: the source notebooks (solutions, hidden tests and rubrics) executed for one student's variant.

Keys are written outside the release (``answer_keys/<assignment>/<student_id>/<notebook>.ipynb`` and ``.html``
next to it) and are generated on demand, so they are never stale and never committed; ``release`` never copies
them (nbgrader releases only ``source/``). The student id reaches the kernel through ``CHIPLAB_STUDENT_ID`` (see
:func:`chiplab.grading.variants.resolve_student_id`).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from chiplab.grading.variants import DEMO_STUDENT_ID, STUDENT_ID_ENV

DEFAULT_CELL_TIMEOUT_S = 120


@contextmanager
def _student_env(student_id: str, grader_path: Path):
    """The kernel shows ``student_id``'s numbers and its hidden tests can import the grader-only answers."""
    saved = {name: os.environ.get(name) for name in (STUDENT_ID_ENV, "NBGRADER_EXECUTION", "PYTHONPATH")}
    os.environ[STUDENT_ID_ENV] = student_id
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(grader_path), saved["PYTHONPATH"] or "") if p)
    os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def answer_keys(course, assignments: list[str] | None = None, student_id: str = DEMO_STUDENT_ID,
                out_dir: str | os.PathLike | None = None, timeout_s: float = DEFAULT_CELL_TIMEOUT_S) -> list[Path]:
    """Execute every source notebook of the assignments for ``student_id``; return the executed notebooks' paths.

    Raises :class:`chiplab.grading.course.GradingError` naming the notebook if a cell fails (a broken key must
    never reach a grader).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    from chiplab.grading.course import GradingError

    out_root = Path(out_dir) if out_dir is not None else course.root / "answer_keys"
    written = []
    for assignment in course.select(assignments):
        for source in sorted(course.path("source", assignment).glob("*.ipynb")):
            notebook = nbformat.read(source, as_version=4)
            client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3",
                                    resources={"metadata": {"path": str(source.parent)}})
            with _student_env(student_id, course.grader_path):
                try:
                    client.execute()
                except CellExecutionError as error:
                    raise GradingError(f"the answer key {source.name} of {assignment} fails for student "
                                       f"{student_id!r}:\n{error}") from error
            target = out_root / assignment / student_id / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
            html, _ = HTMLExporter().from_notebook_node(notebook)
            target.with_suffix(".html").write_text(html, encoding="utf-8")
            written.append(target)
    return written

