"""Assignment 10 (kernels): what the grader trusts. The answer is a kernel's program; the grader replays it on its
own random inputs, so the time is the simulator's and values must follow from the inputs.

Expected behaviour comes from the tile language's own runs (chiplab's worked kernels) and numpy-checked replays
(tests/kernels/test_kernels_program.py); nothing here types a time or a value.
"""

from __future__ import annotations

import sys

import numpy as np
from conftest_book import ROOT

from chiplab.grading import check_format, variant_of
from chiplab.grading.export import plain_value
from chiplab.kernels import Kernel, decode_program, encode_program, run_matmul

sys.path.insert(0, str(ROOT / "exercises" / "grader"))
from chiplab_answers import check_answer

ASSIGNMENT = "10_kernels"


def _variant():
    return variant_of(ASSIGNMENT, "jdoe")


def _q1_program(variant: str, *, values: bool = False) -> str:
    p = _variant().params
    if values:
        rng = np.random.default_rng(0)
        return run_matmul(p.chip, rng.standard_normal((p.m, p.k)), rng.standard_normal((p.k, p.n)),
                          variant=variant).program
    return run_matmul(p.chip, shape=(p.m, p.n, p.k), variant=variant, values=False).program


def test_a_reference_kernel_scores_every_tier_and_a_slower_one_only_the_values():
    v = _variant()
    tiled = _q1_program("tiled", values=True)  # recorded with values: the same program as time-only
    assert tiled == _q1_program("tiled")
    for name in ("q1_kernel", "q1_kernel_fast", "q1_kernel_target"):
        assert check_answer(v, name, tiled), name
    naive = _q1_program("naive")
    assert check_answer(v, "q1_kernel", naive)
    verdict = check_answer(v, "q1_kernel_target", naive)
    assert not verdict and "reloads strips" in verdict.message


def test_a_claimed_time_is_ignored_only_the_replay_counts():
    v = _variant()
    data = decode_program(_q1_program("naive"))
    data["total_s"], data["time"] = 1e-12, 1e-12
    assert not check_answer(v, "q1_kernel_target", encode_program(data))


def test_a_kernel_that_skips_work_is_fast_but_wrong_on_every_tier():
    v = _variant()
    data = decode_program(_q1_program("tiled"))
    data["program"] = [e for e in data["program"] if not (e[0] == "matmul" and e[4])]  # only the first K tile
    lazy = encode_program(data)
    for name in ("q1_kernel", "q1_kernel_fast", "q1_kernel_target"):
        assert not check_answer(v, name, lazy), name
    assert "only the first K tile" in check_answer(v, "q1_kernel", lazy).message


def test_outputs_remembered_from_the_students_inputs_fail_on_the_graders():
    """A kernel that ignores its inputs and writes numbers it computed elsewhere (here: zeros, filled on chip)."""
    v = _variant()
    p = v.params
    kernel = Kernel(p.chip)
    kernel.hbm("a_t", np.zeros((p.k, p.m)))
    kernel.hbm("b", np.zeros((p.k, p.n)))
    c = kernel.hbm_output("c", (p.m, p.n))
    tile = kernel.tile((128, 512), "fp32", name="zeros")
    kernel.fill(tile, 0.0)
    for m0 in range(0, p.m, 128):
        for n0 in range(0, p.n, 512):
            kernel.store(c[m0:m0 + 128, n0:n0 + 512], tile)
    program = kernel.finish().program
    assert check_format(v, "q1_kernel", program)
    assert not check_answer(v, "q1_kernel", program)


def test_formats_and_export():
    v = _variant()
    verdict = check_format(v, "q1_kernel", 3.2e-5)
    assert not verdict and "run.program" in verdict.message
    assert not check_format(v, "q1_kernel", None)
    program = _q1_program("tiled")
    assert plain_value(program) == program  # a program crosses the sandbox whole...
    assert plain_value("x" * 1000) == "x" * 200  # ...other long strings are still cut
