"""The release leak check on a two-notebook course written here (no nbgrader run): a solution line, a marker or an
output in a release is named with its cell; a line the student's scaffold also has is not a leak."""

import json

from chiplab.grading.course import Course
from chiplab.grading.leaks import find_leaks

SOURCE_CELLS = ["# scaffold\nanswer = None\n### BEGIN SOLUTION\nanswer = 2 * rows + cols - 2\n### END SOLUTION",
                "x = 1"]


def _course(tmp_path, released_cells: list[str], outputs: bool = False) -> Course:
    for step, cells in (("source", SOURCE_CELLS), ("release", released_cells)):
        folder = tmp_path / step / "lab"
        folder.mkdir(parents=True)
        notebook = {"cells": [{"cell_type": "code", "source": text, "outputs": [{"text": "4"}] if outputs else []}
                              for text in cells]}
        (folder / "lab.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return Course(tmp_path)


def test_a_clean_release_has_no_leaks(tmp_path):
    assert find_leaks(_course(tmp_path, ["# scaffold\nanswer = None\n# YOUR CODE HERE", "x = 1"]), "lab") == []


def test_a_solution_line_a_marker_and_an_output_are_each_named(tmp_path):
    course = _course(tmp_path, ["answer = 2 * rows + cols - 2", "### END SOLUTION"], outputs=True)
    assert find_leaks(course, "lab") == [
        "release/lab/lab.ipynb cell 1: contains solution text 'answer = 2 * rows + cols - 2'",
        "release/lab/lab.ipynb cell 1: has outputs",
        "release/lab/lab.ipynb cell 2: contains 'END SOLUTION'",
        "release/lab/lab.ipynb cell 2: has outputs",
    ]
