"""Assignment 10: program the chip — the reference kernels, and the slips the hints name, as kernel programs.

Every expected answer is the program of chiplab's worked kernel for the student's shapes (``tiled`` and
``double_buffered`` matmul, ``fused`` dense); the grader replays the student's program and the reference on the
same random inputs (see :mod:`chiplab.grading.problems.kernels`). Each slip is a program too: chiplab's other
variant (``naive``, ``tiled`` single-buffered, ``unfused``) for a time slip, or the reference with one thing
changed (no PSUM accumulation, only the first K tile, no bias, no activation) for a values slip — a student's
kernel that behaves like a slip gets that slip's hint. q3's values slips are q1's, already hinted there (replaying
q3's larger shape with values for every slip would cost the grader seconds per student).
"""

from __future__ import annotations

import functools

from chiplab.grading.problems.kernels import KernelParams
from chiplab.kernels import decode_program, encode_program, run_dense, run_matmul
from chiplab_answers.answer import Answer, Mistake

NO_ACCUMULATE = ("each matmul overwrote the PSUM tile instead of adding to it: pass accumulate=True for every K "
                 "tile after the first, so the partial products add up in PSUM")
FIRST_K_ONLY = ("your result holds only the first K tile's product: loop over every K tile (the contraction is "
                "longer than one matmul's 128 partitions)")


@functools.lru_cache(maxsize=2048)
def _matmul(chip: str, shape: tuple[int, int, int], variant: str) -> str:
    return run_matmul(chip, shape=shape, variant=variant, values=False).program


@functools.lru_cache(maxsize=2048)
def _dense(chip: str, shape: tuple[int, int, int], activation: str, variant: str) -> str:
    return run_dense(chip, shape=shape, activation=activation, variant=variant, values=False).program


def _changed(program: str, change) -> str:
    """The program with ``change(entry)`` applied to each instruction (None drops it)."""
    data = decode_program(program)
    data["program"] = [e for e in (change(entry) for entry in data["program"]) if e is not None]
    return encode_program(data)


def _no_accumulate(entry):
    return [*entry[:4], False] if entry[0] == "matmul" else entry


def _first_k_only(entry):
    return None if entry[0] == "matmul" and entry[4] else entry


def _no_bias(entry):
    return [*entry[:4], 0.0, *entry[5:]] if entry[0] == "activation" else entry


def _no_activation(entry):
    return [*entry[:3], "identity", *entry[4:]] if entry[0] == "activation" else entry


def _tiers(name: str, expected: str, values_mistakes: tuple[Mistake, ...], slow: Mistake, what: str) -> list[Answer]:
    return [
        Answer(f"{name}", expected, f"compare run.outputs with numpy for your own inputs: {what}",
               mistakes=values_mistakes),
        Answer(f"{name}_fast", expected, "its replayed time is over 2x the reference kernel's (or its values are "
               "wrong: see the values test): keep strips in SBUF and reuse them, and overlap loads with matmuls"),
        Answer(f"{name}_target", expected, "its replayed time is over 1.25x the reference kernel's (or its values "
               "are wrong: see the values test): compare your timeline with the reference's — which engine is idle, "
               "waiting for what?", mistakes=(slow,)),
    ]


def answers(p: KernelParams) -> list[Answer]:
    small, dense, big = (p.m, p.n, p.k), (p.dense_m, p.dense_n, p.dense_k), (p.big_m, p.big_n, p.big_k)
    tiled = _matmul(p.chip, small, "tiled")
    fused = _dense(p.chip, dense, p.activation, "fused")
    double = _matmul(p.chip, big, "double_buffered")
    matmul_slips = (Mistake(_changed(tiled, _no_accumulate), NO_ACCUMULATE),
                    Mistake(_changed(tiled, _first_k_only), FIRST_K_ONLY))
    dense_slips = (
        Mistake(_changed(fused, _no_bias), "the bias is missing: pass the bias tile to activation(..., bias=...)"),
        Mistake(_changed(fused, _no_activation), f"the activation is missing: apply {p.activation!r} after the "
                "bias (one activation instruction does both)"),
    )
    naive = Mistake(_matmul(p.chip, small, "naive"), "your kernel reloads strips of Aᵀ and B for every output "
                    "tile: keep a block of Aᵀ in SBUF while you walk along its row of output tiles")
    unfused = Mistake(_dense(p.chip, dense, p.activation, "unfused"), "your kernel sends the matmul result "
                      "through HBM before the bias and activation: apply both as you move it out of PSUM "
                      "(one activation instruction with bias=...)")
    single = Mistake(_matmul(p.chip, big, "tiled"), "no double buffering: with one strip buffer each load waits "
                     "until the matmuls finish reading it; alternate two buffers so the next strip loads while "
                     "this one computes")
    return (_tiers("q1_kernel", tiled, matmul_slips, naive, "C = A @ B, stored in c (m × n, fp32)")
            + _tiers("q2_kernel", fused, dense_slips, unfused, "y_t = act(x @ w + bias)ᵀ (n × m, fp32)")
            + _tiers("q3_kernel", double, (), single, "C = A @ B, stored in c (m × n, fp32)"))
