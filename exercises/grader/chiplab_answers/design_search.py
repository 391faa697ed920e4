"""Grader-only for 09: a design's numbers, and a search that finds a design meeting a variant's brief.

Kept out of chiplab (students import chiplab) so that nothing a student can import returns a compliant design: the
brief (``chiplab.grading.problems.design``) is made from the workload and the base chip alone, and this search is
what shows, in the tests, that every brief can be met. It also supplies the expected answers when no design is
submitted (tests, answer keys).

The search: for each array shape and core count, one probe at 1 GHz and 1 TB/s with :func:`gemm_on_chip`; the
GEMM's compute time scales as 1/clock and its HBM time as bytes/bandwidth, so the least clock and bandwidth that meet
the target (with a margin) follow; the lowest-power candidates are then checked with chiplab itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from chiplab.errors import ChiplabInputError
from chiplab.grading.problems._shown import none_near
from chiplab.grading.problems.design import DTYPE, DesignParams
from chiplab.hardware import Chip, design_chip
from chiplab.memory import horowitz_2014
from chiplab.perf import gemm_on_chip
from chiplab.workloads import Gemm

SHAPES = ((64, 64), (128, 128), (256, 256))
CORES = (1, 2, 4, 8, 16)
PROBE_CLOCK_HZ, PROBE_BANDWIDTH_BYTES_PER_S = 1e9, 1e12
CLOCK_STEP_HZ, BANDWIDTH_STEP_BYTES_PER_S = 50e6, 1e11      # knobs a student would type: round numbers
MIN_CLOCK_HZ, MAX_CLOCK_HZ = 0.5e9, 3e9                     # the range of clocks shipped matrix units run at
TIME_MARGIN_FRACTION = 0.95   # aim 5 % under the target, so the time is never read off the target shown


@dataclass(frozen=True)
class DesignReport:
    """What chiplab computes for one design on one variant's workload."""

    num_pes: int
    peak_flops_per_s: float
    power_w: float
    time_s: float
    fraction_of_peak: float


def full_rate_power_w(chip: Chip) -> float:
    """Every PE at one MAC per cycle (bf16) plus HBM at full bandwidth, at chiplab's energy table."""
    table = horowitz_2014()
    bandwidth = chip.hbm.bandwidth_bytes_per_s
    if bandwidth is None:  # a designable base always has one (design_chip checks it)
        raise ChiplabInputError(f"{chip.id} has no HBM bandwidth, so its memory power is unknown")
    return chip.peak_flops_per_s(DTYPE) / 2 * table.mac_j(DTYPE) + bandwidth * table.byte_j("offchip")


@lru_cache(maxsize=8192)
def report(base: str, gemm: Gemm, num_rows: int, num_cols: int, num_cores: int, clock_hz: float,
           hbm_bandwidth_bytes_per_s: float) -> DesignReport:
    """The numbers of a design (raises ChiplabInputError for a design chiplab refuses)."""
    chip = design_chip(base, num_rows=num_rows, num_cols=num_cols, num_cores=num_cores, clock_hz=clock_hz,
                       hbm_bandwidth_bytes_per_s=hbm_bandwidth_bytes_per_s, chip_id="your_design")
    peak = chip.peak_flops_per_s(DTYPE)
    time_s = gemm_on_chip(gemm, chip).time_s
    return DesignReport(num_pes=chip.num_matrix_units * num_rows * num_cols, peak_flops_per_s=peak,
                        power_w=full_rate_power_w(chip), time_s=time_s, fraction_of_peak=gemm.num_flops / time_s / peak)


def _round_up(value: float, step: float) -> float:
    return math.ceil(value / step) * step


@lru_cache(maxsize=8192)
def _probe(base: str, gemm: Gemm, rows: int, cols: int, cores: int) -> tuple[float, float, int]:
    """(peak FLOP/s, compute time s, HBM bytes) of a shape and core count at the probe clock and bandwidth."""
    chip = design_chip(base, num_rows=rows, num_cols=cols, num_cores=cores, clock_hz=PROBE_CLOCK_HZ,
                       hbm_bandwidth_bytes_per_s=PROBE_BANDWIDTH_BYTES_PER_S)
    run = gemm_on_chip(gemm, chip)
    return chip.peak_flops_per_s(DTYPE), run.compute_s, run.hbm_bytes


def _candidates(p: DesignParams) -> list[tuple[float, tuple[int, int, int, float, float]]]:
    """(predicted power, knobs) of the least clock and bandwidth that meet the target, per shape and core count."""
    table = horowitz_2014()
    aim_s = TIME_MARGIN_FRACTION * p.target_time_s
    found = []
    for rows, cols in SHAPES:
        for cores in CORES:
            peak, compute_s, hbm_bytes = _probe(p.base, p.gemm, rows, cols, cores)
            clock_hz = max(MIN_CLOCK_HZ, _round_up(compute_s * PROBE_CLOCK_HZ / aim_s, CLOCK_STEP_HZ))
            bandwidth = max(BANDWIDTH_STEP_BYTES_PER_S, _round_up(hbm_bytes / aim_s, BANDWIDTH_STEP_BYTES_PER_S))
            if clock_hz <= MAX_CLOCK_HZ:
                power_w = (peak * clock_hz / PROBE_CLOCK_HZ / 2 * table.mac_j(DTYPE)
                           + bandwidth * table.byte_j("offchip"))
                found.append((power_w, (rows, cols, cores, clock_hz, bandwidth)))
    return sorted(found)


def _variations(knobs: tuple[int, int, int, float, float]) -> list[tuple[int, int, int, float, float]]:
    """Designs next to ``knobs`` that are no slower: a faster clock or more bandwidth, or the same PEs arranged
    differently (for when a number of the first design lands next to a number shown to the student)."""
    rows, cols, cores, clock_hz, bandwidth = knobs
    nearby = [(rows, cols, cores, _round_up(clock_hz * factor, CLOCK_STEP_HZ), _round_up(bandwidth * factor,
                                                                                          BANDWIDTH_STEP_BYTES_PER_S))
              for factor in (1.05, 1.1, 1.2)]
    nearby += [(rows, cols, cores, _round_up(clock_hz * 1.1, CLOCK_STEP_HZ), bandwidth),
               (rows, cols, cores, clock_hz, _round_up(bandwidth * 1.1, BANDWIDTH_STEP_BYTES_PER_S))]
    if cores % 2 == 0:
        nearby += [(rows * 2, cols, cores // 2, clock_hz, bandwidth), (rows, cols * 2, cores // 2, clock_hz, bandwidth)]
    return nearby


def _meets(p: DesignParams, knobs: tuple[int, int, int, float, float]) -> DesignReport | None:
    """The design's numbers if it meets the brief and none of them is within 3 % of a number shown."""
    try:
        numbers = report(p.base, p.gemm, *knobs)
    except ChiplabInputError:
        return None
    meets = numbers.power_w <= p.power_budget_w and numbers.time_s <= p.target_time_s
    shown_apart = none_near([*knobs, *(float(getattr(numbers, name)) for name in DesignReport.__annotations__)], p)
    return numbers if meets and shown_apart else None


@lru_cache(maxsize=4096)
def compliant_design(p: DesignParams) -> tuple[tuple[int, int, int, float, float], DesignReport] | None:
    """The lowest-power design found that meets ``p``'s budget and target (knobs in ``DESIGN_NAMES`` order, and its
    report), with no number of it within 3 % of a number shown to the student; None if the search finds none."""
    affordable = [knobs for power_w, knobs in _candidates(p) if power_w <= p.power_budget_w]
    for knobs in [*affordable, *(nearby for first in affordable for nearby in _variations(first))]:
        numbers = _meets(p, knobs)
        if numbers is not None:
            return knobs, numbers
    return None
