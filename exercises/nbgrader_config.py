# nbgrader configuration of the chiplab course (nbgrader 0.9.x). See exercises/README.md for the workflow.
# Commands run from this folder (or with --CourseDirectory.root=<this folder>); the layout is nbgrader's default:
# source/<assignment>/ (instructor), release/, submitted/<student>/<assignment>/, autograded/, feedback/.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821  (injected by nbgrader's config loader)

c.CourseDirectory.course_id = "chiplab"

# Each notebook runs in autograded/<student_id>/<assignment>/; chiplab.grading reads the student id from that
# folder, so keep the default directory structure.
c.CourseDirectory.directory_structure = "{nbgrader_step}/{student_id}/{assignment_id}"

# Each source notebook has a MyST Markdown twin (<name>.md, jupytext; README.md): it holds the solutions and hidden
# tests as text, so nbgrader must never copy it into a release (nbgrader copies every other file of the folder).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.md"]

# Submissions run in chiplab's sandbox (60 s per cell, `--timeout` changes it); nbgrader itself only runs the
# grader's notebooks of exported values, which take well under a second per cell.
c.Execute.timeout = 60

# A student who deletes a test cell does not dodge it: nbgrader puts the cell back (with a note) and runs it.
c.OverwriteCells.add_missing_cells = True

# Late work: 10 % of the score per started day after the assignment's due date (set one with
# `python -m chiplab.grading due ASSIGNMENT "2026-10-01 23:59:00 UTC"`; without a due date nothing is late).
c.AssignLatePenalties.plugin_class = "chiplab.grading.late.PercentPerDayLatePenalty"
c.PercentPerDayLatePenalty.percent_per_day = 10

# Feedback shows each test's result and hint, not the hidden test code.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# JupyterHub with nbgrader's exchange (optional; see README.md). Uncomment and adapt:
# c.Exchange.root = "/srv/nbgrader/exchange"
# c.Exchange.path_includes_course = True
