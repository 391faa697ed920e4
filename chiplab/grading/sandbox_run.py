"""Runs inside the sandbox, as the unprivileged user: execute one assembled submission, cell by cell, and survive it.

``python -m chiplab.grading.sandbox_run submission.ipynb executed.ipynb CELL_TIMEOUT_S``

A cell that raises is recorded and the next cell runs (as in Jupyter). A cell that kills the kernel (``os._exit``)
or outlives its time limit (an endless loop, perhaps one that swallows the interrupt) is recorded, blanked, and the
notebook runs again from the top in a fresh kernel without it — at most :data:`MAX_RESTARTS` times — so one such
cell costs only the questions that depend on it. Each attempt starts a new export file (see
:mod:`chiplab.grading.export`), so the grader sees the values of the last, most complete attempt. Prints one line
per event for the grader's log.
"""

from __future__ import annotations

import os
import sys

from chiplab.grading.export import EXPORT_FILE

MAX_RESTARTS = 3


def _attempt(notebook, timeout_s: float, blanked: dict[int, tuple[str, str]]) -> int | None:
    """Execute every code cell; return the index of a cell that killed the kernel or timed out, else None."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    for index, (_, note) in blanked.items():
        notebook.cells[index].source = f"# the grader skipped this cell: {note}"
    client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": os.getcwd()}})
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or index in blanked:
                continue
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                blanked[index] = ("CellTimeoutError",
                                  f"it ran longer than {timeout_s:g} s (an endless loop?) and was stopped")
                return index
            except DeadKernelError:
                blanked[index] = ("DeadKernelError",
                                  "the kernel died while running it (os._exit, a crash or too much memory?)")
                return index
    return None


def main(argv: list[str]) -> int:
    import nbformat

    source, executed, timeout_s = argv[0], argv[1], float(argv[2])
    blanked: dict[int, tuple[str, str]] = {}
    notebook = nbformat.read(source, as_version=4)
    for attempt in range(MAX_RESTARTS + 1):
        open(EXPORT_FILE, "w").close()
        notebook = nbformat.read(source, as_version=4)
        failed = _attempt(notebook, timeout_s, blanked)
        if failed is None:
            break
        print(f"cell {failed + 1}: {blanked[failed][1]}; attempt {attempt + 2} runs without it", flush=True)
    else:
        print(f"gave up after {MAX_RESTARTS} restarts", flush=True)
    for index, (ename, note) in blanked.items():
        notebook.cells[index].outputs = [nbformat.v4.new_output("error", ename=ename, evalue=note, traceback=[])]
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                print(f"cell {index + 1}: {output.get('ename')}: {str(output.get('evalue', ''))[:300]}", flush=True)
    nbformat.write(notebook, executed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
