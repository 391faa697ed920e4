"""The one exception type users see for bad input.

Every check in chiplab raises :class:`ChiplabInputError` with a message that names the parameter (or file and
line), the value it got and what is allowed, so a student never has to read a deep traceback.
"""


class ChiplabInputError(ValueError):
    """Bad user input; the message names the parameter, the value and what is allowed."""
