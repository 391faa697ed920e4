"""Per-student variants: an assignment's parameters derived from the student's id, identically for student and grader.

Every number a student works with (array size, GEMM shape, chip) is picked from a short, curated list by hashing
``(assignment, parameter name, student id)`` with SHA-256. The expected answers are then computed by chiplab from
those parameters (see :mod:`chiplab.grading.checks`). Two students get different numbers, so answers cannot be
copied, and the grader re-derives the same numbers from the same id.

Why hashlib and not a seeded ``numpy.random.Generator``: NumPy guarantees the bit stream of its generators but not
the output of ``Generator.integers``/``choice`` across releases (NEP 19), and students and grader may run different
NumPy versions. A hash of the names is stable forever, and adding a parameter never shifts the others.

Which id? :func:`resolve_student_id`, in this order:

1. ``CHIPLAB_STUDENT_ID`` in the environment: the grader sets it when it runs a submission in its sandbox (to the
   submission's place in the course, nbgrader's student id), and instructors set it for answer keys;
2. ``STUDENT_ID`` as typed in the notebook's first code cell;
3. on a JupyterHub, the id nbgrader's exchange files the submission under (``nbgrader.utils.get_username``: the OS
   user — ``jupyter-<name>`` on The Littlest JupyterHub — or ``JUPYTERHUB_USER`` where every user is ``jovyan``);
4. otherwise the ``"demo"`` variant, for self-study, with a note saying so.

The kernel's choice only decides which numbers the student *sees*. Scores never depend on it: the grader takes the
student id from the submission's folder and computes the expected answers in its own process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from chiplab.errors import ChiplabInputError

DEMO_STUDENT_ID = "demo"
STUDENT_ID_ENV = "CHIPLAB_STUDENT_ID"
_SALT = "chiplab-exercises/v1"  # change only with a new course edition: it changes every student's numbers

T = TypeVar("T")


@dataclass(frozen=True)
class StudentIdentity:
    """Whose variant this is, how that was decided, and anything the student or grader should know."""

    student_id: str
    source: str  # "nbgrader submission folder", "CHIPLAB_STUDENT_ID", "STUDENT_ID", "JupyterHub user", "demo"
    typed_student_id: str  # what the notebook's STUDENT_ID cell said ("" when left empty)
    note: str = ""


def exchange_student_id() -> str:
    """The student id nbgrader's exchange uses for this kernel's user on a hub ("" off a hub).

    Same rule as ``nbgrader.utils.get_username`` (0.9): the OS user name, except that the ``jovyan`` user of
    Docker/Kubernetes hubs stands for ``JUPYTERHUB_USER``. Not imported from nbgrader: students do not install it.
    """
    hub_user = os.environ.get("JUPYTERHUB_USER", "").strip()
    if not hub_user:
        return ""
    try:
        import pwd

        os_user = pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, ImportError):  # an unnamed uid, or no pwd module (Windows)
        return hub_user
    return hub_user if os_user == "jovyan" else os_user


def resolve_student_id(assignment: str, typed_student_id: object = "") -> StudentIdentity:
    """Decide whose numbers to show (see the module docstring for the order)."""
    if typed_student_id is None:
        typed_student_id = ""
    if not isinstance(typed_student_id, str):
        raise ChiplabInputError(f"STUDENT_ID must be a string such as 'jdoe'; got {typed_student_id!r}")
    typed = typed_student_id.strip()
    graded_as = os.environ.get(STUDENT_ID_ENV, "").strip()
    if graded_as:
        note = ""
        if typed and _normalize(typed) != _normalize(graded_as):
            note = (f"STUDENT_ID {typed!r} typed in the notebook is not this submission's student; "
                    f"graded as {graded_as!r}")
        return StudentIdentity(graded_as, STUDENT_ID_ENV, typed, note)
    hub_id = exchange_student_id()
    if typed:
        note = ""
        if hub_id and _normalize(typed) != _normalize(hub_id):
            note = (f"this hub submits your work as {hub_id!r} and the grader uses that id's numbers, not those of "
                    f"STUDENT_ID {typed!r}: leave STUDENT_ID empty")
        return StudentIdentity(typed, "STUDENT_ID", typed, note)
    if hub_id:
        return StudentIdentity(hub_id, "JupyterHub user (nbgrader exchange id)", typed)
    return StudentIdentity(DEMO_STUDENT_ID, "demo", typed,
                           "STUDENT_ID is empty: these are the demo numbers, for self-study. For graded work set "
                           "STUDENT_ID to the id your instructor uses, then re-run the notebook from the top.")


def _normalize(student_id: str) -> str:
    """Ids are compared and hashed case-insensitively, so 'JDoe' and 'jdoe ' get the same numbers."""
    return student_id.strip().casefold()


class Picker:
    """Deterministic choices for one (assignment, student): each named parameter is hashed on its own.

    >>> pick = Picker("01_systolic_arrays", "jdoe")
    >>> pick.choice("rows", [4, 8]) == Picker("01_systolic_arrays", "JDoe ").choice("rows", [4, 8])
    True
    >>> 5 <= pick.integer("m", 5, 9) <= 9
    True
    """

    def __init__(self, assignment: str, student_id: str, attempt: int = 0):
        self._key = f"{_SALT}/{assignment}/{_normalize(student_id)}" + (f"/attempt{attempt}" if attempt else "")
        self._assignment, self._student_id, self._attempt = assignment, student_id, attempt

    def first_fitting(self, make: Callable[[Picker], T], fits: Callable[[T], bool], max_attempts: int = 200) -> T:
        """The first of a fixed sequence of independent draws ``make(pick)`` that ``fits``: how an assignment keeps
        only parameters whose answers the slips its hints name cannot reach (the same sequence for grader and
        student, so the same result)."""
        for attempt in range(max_attempts):
            params = make(Picker(self._assignment, self._student_id, self._attempt + attempt))
            if fits(params):
                return params
        raise ChiplabInputError(f"no parameters of {self._assignment} fit after {max_attempts} draws")

    def _number(self, name: str) -> int:
        digest = hashlib.sha256(f"{self._key}/{name}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def choice(self, name: str, options: Sequence[T]) -> T:
        if not options:
            raise ChiplabInputError(f"parameter {name!r} has no options to choose from")
        return options[self._number(name) % len(options)]

    def integer(self, name: str, low: int, high: int) -> int:
        """A whole number in [low, high], both included."""
        if high < low:
            raise ChiplabInputError(f"parameter {name!r}: high ({high}) must be >= low ({low})")
        return low + self._number(name) % (high - low + 1)


@dataclass(frozen=True)
class ProblemSet(Generic[T]):
    """The public half of one assignment: how to pick its parameters, and the format of every autograded answer.

    ``draw(pick)`` returns one draw of the parameters, a frozen dataclass whose fields carry
    ``metadata={"doc": ...}`` (shown to the student); ``fits(params)``, where given, keeps only draws whose answers
    no slip named by the hints can reach (:meth:`Picker.first_fitting`); ``formats`` are the
    :class:`chiplab.grading.checks.AnswerFormat` of every autograded name. The expected answers are grader-only
    (``exercises/grader/``).
    """

    assignment: str
    title: str
    draw: Callable[[Picker], T]
    formats: Callable[[T], Sequence[Any]]  # params -> the AnswerFormat of every autograded name
    fits: Callable[[T], bool] | None = None

    def make_params(self, pick: Picker) -> T:
        """The student's parameters: the first draw that fits (the same for grader and student)."""
        return self.draw(pick) if self.fits is None else pick.first_fitting(self.draw, self.fits)


@dataclass(frozen=True)
class Variant:
    """One student's parameters for one assignment. Attribute access falls through to the parameters: ``v.m``."""

    assignment: str
    identity: StudentIdentity
    params: Any

    @property
    def student_id(self) -> str:
        return self.identity.student_id

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        params = self.__dict__.get("params")
        if params is not None and name in {f.name for f in dataclasses.fields(params)}:
            return getattr(params, name)
        known = ", ".join(f.name for f in dataclasses.fields(params)) if params is not None else ""
        raise AttributeError(f"this variant has no parameter {name!r}; it has: {known}")

    def rows(self) -> list[tuple[str, Any, str]]:
        """(name, value, meaning) of every parameter, in declaration order."""
        return [(f.name, getattr(self.params, f.name), f.metadata.get("doc", ""))
                for f in dataclasses.fields(self.params)]

    def _header(self) -> str:
        return f"Variant of {self.assignment} for student {self.student_id!r} (from {self.identity.source})"

    def __str__(self) -> str:
        lines = [self._header()] + [f"  v.{name} = {value!r}  # {doc}" for name, value, doc in self.rows()]
        if self.identity.note:
            lines.append(f"NOTE: {self.identity.note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        lines = [f"**{self._header()}**", "", "| parameter | value | meaning |", "|---|---|---|"]
        lines += [f"| `v.{name}` | `{_show(value)}` | {doc} |" for name, value, doc in self.rows()]
        if self.identity.note:
            lines += ["", f"**Note:** {self.identity.note}"]
        return "\n".join(lines)


def _show(value: Any) -> str:
    """Big and small floats in scientific notation (1.3074e+15), everything else as Python writes it."""
    if isinstance(value, float) and value and not 1e-3 <= abs(value) < 1e6:
        return f"{value:.6g}"
    return repr(value)


def load_variant(assignment: str, student_id: object = "") -> Variant:
    """The variant of ``assignment`` for this student (see :func:`resolve_student_id` for whose).

    >>> v = load_variant("01_systolic_arrays", "jdoe")
    >>> v.student_id, v.params == load_variant("01_systolic_arrays", "jdoe").params
    ('jdoe', True)
    """
    return _variant(assignment, resolve_student_id(assignment, student_id))


def variant_of(assignment: str, student_id: str) -> Variant:
    """Exactly ``student_id``'s variant, whatever the environment says (for instructors and tests)."""
    if not isinstance(student_id, str) or not student_id.strip():
        raise ChiplabInputError(f"student_id must be a non-empty string; got {student_id!r}")
    return _variant(assignment, StudentIdentity(student_id.strip(), "given", student_id.strip()))


def _variant(assignment: str, identity: StudentIdentity) -> Variant:
    from chiplab.grading.problems import problem_set

    params = problem_set(assignment).make_params(Picker(assignment, identity.student_id))
    return Variant(assignment=assignment, identity=identity, params=params)
