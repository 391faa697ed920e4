"""Assignment 10: program the chip — tile kernels graded on their values AND their simulated time.

Students write three kernels in chiplab's tile language (:class:`chiplab.kernels.Kernel`) for one NeuronCore of
their variant's chip: a tiled matmul, a fused dense layer (matmul + bias + activation) and a double-buffered
matmul on a larger shape. Each answer is the kernel's *program* (``run.program``): the text of its declarations and
instructions. The grader replays it (:func:`chiplab.kernels.replay`) on its own random inputs, so

* the values are checked on inputs the student never saw (a kernel must compute, not remember), and
* the time is the simulator's for the replayed program — never a number the student's code reported.

Replaying only calls tile-language instructions named in a fixed table: no student code runs in the grader.
The reference times (chiplab's worked kernels for the same shapes) are public: students can time them too.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, field

import numpy as np

from chiplab.errors import ChiplabInputError
from chiplab.grading.checks import AnswerFormat
from chiplab.grading.variants import Picker, ProblemSet

ASSIGNMENT = "10_kernels"
# Not Trainium3: its Tensor Engine is fast enough that loads dominate q3 with one buffer or two (double buffering
# gains at most about 1.3x on q3's shapes), so the "no double buffering" slip could not be told from the target.
CHIPS = ("trainium1", "trainium2", "inferentia2")
ACTIVATIONS = ("gelu", "relu", "silu", "tanh", "sigmoid")
DTYPE = "bf16"
VALUES_REL_TOL = 0.01   # of the largest reference output: bf16 inputs, fp32 accumulation in any order pass
TARGET_FACTOR_REL = 0.25   # full marks: at most 1.25x the reference kernel's time
FAST_FACTOR_REL = 1.0      # partial credit: at most 2x
# q3's shape must show double buffering: one buffer at least 1.3x slower, so that the single-buffered slip misses
# the 1.25x target (the simulator is deterministic: no noise to allow for). It does for M = 1024, K = 2048 and
# N >= 2048 on these chips; the smallest such shapes keep the grader's replay with values to about a second.
MIN_BUFFERING_GAIN = 1.3


@dataclass(frozen=True)
class KernelParams:
    chip: str = field(metadata={"doc": "the chip: your kernels run on one of its NeuronCores"})
    m: int = field(metadata={"doc": "q1: rows of C = A @ B (columns of Aᵀ in HBM)"})
    n: int = field(metadata={"doc": "q1: columns of C and of B"})
    k: int = field(metadata={"doc": "q1: the contraction: rows of Aᵀ and of B"})
    dense_m: int = field(metadata={"doc": "q2: tokens (rows of x)"})
    dense_n: int = field(metadata={"doc": "q2: output features (columns of w, length of the bias)"})
    dense_k: int = field(metadata={"doc": "q2: input features (columns of x, rows of w)"})
    activation: str = field(metadata={"doc": "q2: the activation applied after the bias"})
    big_m: int = field(metadata={"doc": "q3: rows of C"})
    big_n: int = field(metadata={"doc": "q3: columns of C"})
    big_k: int = field(metadata={"doc": "q3: the contraction"})


def _draw(pick: Picker) -> KernelParams:
    return KernelParams(
        chip=pick.choice("chip", CHIPS), m=pick.choice("m", (512, 1024)), n=pick.choice("n", (1024, 2048)),
        k=pick.choice("k", (512, 640, 768, 896, 1024)), dense_m=pick.choice("dense_m", (512, 1024, 1536, 2048)),
        dense_n=pick.choice("dense_n", (256, 384, 512)), dense_k=pick.choice("dense_k", (256, 384, 512)),
        activation=pick.choice("activation", ACTIVATIONS), big_m=1024,
        big_n=pick.choice("big_n", (2048, 3072)), big_k=2048)


@functools.lru_cache(maxsize=256)
def reference_time_s(chip: str, kernel: str, variant: str, shape: tuple[int, int, int], activation: str = "") -> float:
    """Simulated time of chiplab's worked ``kernel`` ("matmul" or "dense") ``variant`` for ``shape`` (time only)."""
    from chiplab.kernels import run_dense, run_matmul

    if kernel == "dense":
        return run_dense(chip, shape=shape, variant=variant, activation=activation, values=False).total_s
    return run_matmul(chip, shape=shape, variant=variant, values=False).total_s


def _telling(p: KernelParams) -> bool:
    """Double buffering must pay on q3's shape, or its slip (one buffer) could not be told from the target."""
    shape = (p.big_m, p.big_n, p.big_k)
    return (reference_time_s(p.chip, "matmul", "tiled", shape)
            > MIN_BUFFERING_GAIN * reference_time_s(p.chip, "matmul", "double_buffered", shape))



def formats(p: KernelParams) -> tuple[AnswerFormat, ...]:
    result = []
    for q in ("q1", "q2", "q3"):
        result += [AnswerFormat(f"{q}_kernel", "kernel_values", "program", rel_tol=VALUES_REL_TOL),
                   AnswerFormat(f"{q}_kernel_fast", "kernel_time", "program", rel_tol=FAST_FACTOR_REL),
                   AnswerFormat(f"{q}_kernel_target", "kernel_time", "program", rel_tol=TARGET_FACTOR_REL)]
    return tuple(result)


PARAMETERS = ProblemSet(ASSIGNMENT, "Programming the chip: kernels graded on values and time",
                        _draw, formats, fits=_telling)


# --- how a kernel answer is checked (chiplab.grading.checks calls these for the kernel kinds) -----------------

def program_problem(name: str, value: object) -> str:
    """Why ``value`` is not a kernel program ("" when it is one); never replays it."""
    from chiplab.kernels import decode_program

    if value is None or value is Ellipsis:
        return f"{name} is still {value!r}: run your kernel, then {name} = run.program"
    try:
        decode_program(value)
    except ChiplabInputError as error:
        return f"{name}: {error}; set {name} = run.program after run = kernel.finish()"
    return ""


# Fresh for every grading process: inputs a submission cannot know in advance (within one process both kernels of
# a comparison see the same arrays).
_SEED = secrets.randbits(63)


def _inputs(text: str) -> dict[str, np.ndarray]:
    from chiplab.kernels import program_inputs

    return {name: _random_array(name, shape) for name, (shape, _) in program_inputs(text).items()}


@functools.lru_cache(maxsize=32)
def _random_array(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal numbers for one input, the same for every kernel of this process (never written to)."""
    digest = hashlib.sha256(f"{name}{shape}".encode()).digest()
    rng = np.random.default_rng([_SEED, int.from_bytes(digest[:8], "little")])
    array = rng.standard_normal(shape, dtype=np.float32)
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=8)
def _replayed(text: str, chip: str, values: bool, inputs_from: str):
    """The replayed run, or None when the tile language refuses the program."""
    from chiplab.kernels import replay

    try:
        return replay(text, _inputs(inputs_from) if values else None, chip=chip, values=values)
    except ChiplabInputError:
        return None


def _same_outputs(value: str, target: str, chip: str, rel_tol: float) -> bool:
    ours, theirs = _replayed(target, chip, True, target), _replayed(value, chip, True, target)
    if ours is None or theirs is None:
        return False
    for name, expected in ours.outputs.items():
        got = theirs.outputs.get(name)
        if got is None or got.shape != expected.shape:
            return False
        scale = float(np.max(np.abs(expected))) or 1.0
        if float(np.max(np.abs(got - expected))) > rel_tol * scale:
            return False
    return True


@functools.lru_cache(maxsize=4096)
def _matches(kind: str, rel_tol: float, value: str, target: str) -> bool:
    from chiplab.kernels import decode_program

    if value == target:
        return True  # the same program replays to the same values and time

    chip = decode_program(target)["chip"]
    if kind == "kernel_time":
        ours, theirs = _replayed(target, chip, False, target), _replayed(value, chip, False, target)
        if ours is None or theirs is None or theirs.total_s > (1 + rel_tol) * ours.total_s:
            return False
        rel_tol = VALUES_REL_TOL
    return _same_outputs(value, target, chip, rel_tol)


def kernel_matches(kind: str, rel_tol: float, value: object, target: object) -> bool:
    """Does the program ``value`` compute what ``target`` computes (``kernel_values``: outputs within ``rel_tol``
    of target's largest output) or, for ``kernel_time``, compute it in at most (1 + ``rel_tol``) × its time?"""
    if not (isinstance(value, str) and isinstance(target, str) and not program_problem("answer", value)):
        return False
    return _matches(kind, rel_tol, value, target)
