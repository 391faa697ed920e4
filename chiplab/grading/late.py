"""Late penalties for nbgrader: a percentage of the score per started day late, never more than the score.

nbgrader applies it while autograding when the assignment has a due date (``python -m chiplab.grading due``) and
the submission a timestamp (``timestamp.txt``, written by ``nbgrader collect``); ``nbgrader_config.py`` selects it::

    c.AssignLatePenalties.plugin_class = "chiplab.grading.late.PercentPerDayLatePenalty"
    c.PercentPerDayLatePenalty.percent_per_day = 10

Imported only by nbgrader (the instructor extra), never by a student's notebook.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

SECONDS_PER_DAY = 86_400


class PercentPerDayLatePenalty(LateSubmissionPlugin):
    """``percent_per_day`` of the notebook's score for each started day after the due date."""

    percent_per_day = Float(10.0, help="percent of the score lost per started day late").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        if total_seconds_late <= 0 or not score:
            return 0.0
        days = math.ceil(total_seconds_late / SECONDS_PER_DAY)
        return min(score, score * self.percent_per_day / 100 * days)
