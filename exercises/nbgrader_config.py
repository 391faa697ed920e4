# nbgrader configuration of the chiplab course (nbgrader 0.9.x). See exercises/README.md for the workflow.
# Commands run from this folder (or with --CourseDirectory.root=<this folder>); the layout is nbgrader's default:
# source/<assignment>/ (instructor), release/, submitted/<student>/<assignment>/, autograded/, feedback/.
c = get_config()  # noqa: F821  (injected by nbgrader's config loader)

c.CourseDirectory.course_id = "chiplab"

# Each notebook runs in autograded/<student_id>/<assignment>/; chiplab.grading reads the student id from that
# folder, so keep the default directory structure.
c.CourseDirectory.directory_structure = "{nbgrader_step}/{student_id}/{assignment_id}"

# Per-cell time limit while autograding. Every solution runs in well under a second; an endless loop is
# interrupted after this long (CellTimeoutError in the feedback) and the rest of the notebook still runs.
c.Execute.timeout = 60

# A student who deletes a test cell does not dodge it: nbgrader puts the cell back (with a note) and runs it.
c.OverwriteCells.add_missing_cells = True

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# JupyterHub with nbgrader's exchange (optional; see README.md). Uncomment and adapt:
# c.Exchange.root = "/srv/nbgrader/exchange"
# c.Exchange.path_includes_course = True
