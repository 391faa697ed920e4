"""Assignment 09: the design project — the submitted design's numbers, and whether it meets budget and target.

Every expected value is computed by chiplab for the design the student submitted (``SUBMITTED_NAMES``); a design
over the power budget fails Q3 and one slower than the target fails Q4, each with a hint that says so (the numbers
themselves may be right). Without a submitted design (tests, answer keys), the design the grader's search finds
(:mod:`chiplab_answers.design_search`).
"""

from __future__ import annotations

import math
from typing import Any

from chiplab.errors import ChiplabInputError
from chiplab.grading.checks import as_count
from chiplab.grading.problems.design import DESIGN_NAMES, DesignParams
from chiplab.hardware.catalog import load_chip
from chiplab.memory.energy import horowitz_2014
from chiplab_answers.answer import NO_ANSWER, Answer, Mistake, telling
from chiplab_answers.design_search import DesignReport, compliant_design, report

SUBMITTED_NAMES = DESIGN_NAMES
QUESTIONS = ("q1_num_pes", "q2_peak_flops_per_s", "q3_power_w", "q4_time_s", "q5_fraction_of_peak")
BITS_PER_BYTE = 8


def _knobs(submitted: dict[str, Any]) -> tuple | None:
    """The submitted design as report() takes it, or None when a knob is missing or not a positive number."""
    rows, cols, cores = (as_count(submitted.get(name)) for name in DESIGN_NAMES[:3])
    clock_hz, bandwidth = (submitted.get(name) for name in DESIGN_NAMES[3:])
    numbers = [x for x in (clock_hz, bandwidth) if isinstance(x, int | float) and not isinstance(x, bool)]
    if None in (rows, cols, cores) or len(numbers) != 2 or not all(map(math.isfinite, numbers)):
        return None
    return rows, cols, cores, float(clock_hz), float(bandwidth)


def _design(p: DesignParams, submitted: dict[str, Any] | None) -> tuple[DesignReport | None, str]:
    if submitted is None:
        found = compliant_design(p)
        if found is None:  # the feasibility test (tests/exercises/test_new_labs.py) keeps this from happening
            raise ChiplabInputError(f"the grader's search found no design meeting the brief of {p}")
        return found[1], ""
    knobs = _knobs(submitted)
    if knobs is None:
        return None, ("set design_num_rows, design_num_cols and design_num_cores to whole numbers and "
                      "design_clock_hz and design_hbm_bandwidth_bytes_per_s to numbers, then report their numbers")
    try:
        return report(p.base, p.gemm, *knobs), ""
    except ChiplabInputError as error:
        return None, f"chiplab refuses your design: {error}"


def answers(p: DesignParams, submitted: dict[str, Any] | None = None) -> list[Answer]:
    r, why = _design(p, submitted)
    if r is None:
        return [Answer(name, NO_ANSWER, why) for name in QUESTIONS]
    table = horowitz_2014()
    compute_w = r.peak_flops_per_s / 2 * table.mac_j("bf16")
    memory_w = r.power_w - compute_w
    power = Answer("q3_power_w", r.power_w,
                   "power = MACs per second at peak × J per bf16 MAC + HBM bytes per second × J per off-chip byte",
                   mistakes=telling(r.power_w, (
                       Mistake(2 * compute_w + memory_w, "the table prices a multiply-accumulate: peak FLOP/s ÷ 2 "
                                                         "MACs per second"),
                       Mistake(compute_w + BITS_PER_BYTE * memory_w,
                               "the table's DRAM figure is per 64-bit access: per byte it is ÷ 8"),
                       Mistake(compute_w, "the HBM draws power too: add bandwidth × energy per byte"))))
    if r.power_w > p.power_budget_w:
        power = Answer("q3_power_w", NO_ANSWER, power.hint, mistakes=(Mistake(
            r.power_w, f"that is your design's power, but it is over the budget of {p.power_budget_w:g} W: "
                       "change the design (fewer PEs, a lower clock or less bandwidth) and report again"),))
    time = Answer("q4_time_s", r.time_s, "time = gemm_on_chip(Gemm(m=v.m, n=v.d, k=v.d), your_chip).time_s",
                  mistakes=telling(r.time_s, (Mistake(r.time_s * 1e3, "give the time in seconds, not milliseconds"),
                                              Mistake(2 * p.m * p.d * p.d / r.peak_flops_per_s,
                                                      "that is the time at peak: ask chiplab's model "
                                                      "(gemm_on_chip), which also counts HBM traffic and mapping"))))
    if r.time_s > p.target_time_s:
        time = Answer("q4_time_s", NO_ANSWER, time.hint, mistakes=(Mistake(
            r.time_s, f"that is your design's time, but it misses the target of {p.target_time_s:g} s: change the "
                      "design (is the workload compute- or memory-bound on it?) and report again"),))
    return [
        Answer("q1_num_pes", r.num_pes, "PEs = rows × columns × arrays per core × cores",
               mistakes=tuple(Mistake(r.num_pes // arrays, f"each core of {p.base} has {arrays} arrays (matrix "
                                                           "units): count the PEs of all of them")
                              for arrays in [load_chip(p.base).core.matrix_unit.num_per_core] if arrays > 1)),
        Answer("q2_peak_flops_per_s", r.peak_flops_per_s, "design_chip(...).peak_flops_per_s('bf16')",
               mistakes=telling(r.peak_flops_per_s, (Mistake(r.peak_flops_per_s / 2, "count FLOPs (2 per "
                                                                                      "multiply-accumulate), not MACs"),
                                                     ))),
        power,
        time,
        Answer("q5_fraction_of_peak", r.fraction_of_peak, "fraction of peak = the GEMM's FLOPs ÷ time ÷ peak",
               mistakes=telling(r.fraction_of_peak, (Mistake(r.fraction_of_peak / 2, "count FLOPs (2·m·d·d), not "
                                                                                      "MACs"),))),
    ]
