"""Properties every answer must have (hypothesis over valid but extreme inputs): finite, non-negative, utilisation
in [0, 1], and time that does not decrease when the work grows. Each property is a fact of the model's definition
(more work cannot take less time on the same hardware), not a number someone here computed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from robustness._hostile import call_bounded

from chiplab import ChiplabInputError, Gemm, SystolicArraySpec, estimate, simulate
from chiplab.hardware import load_chip
from chiplab.memory import gemm_on_core, roofline
from chiplab.perf import gemm_on_chip

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
# Up to 2**40 per dimension: products of three reach 2**120, far past int64 (reproduction 3).
DIM = st.one_of(st.integers(min_value=1, max_value=4096), st.integers(min_value=1, max_value=2**40))
SIDE = st.integers(min_value=1, max_value=512)
DATAFLOW = st.sampled_from(["ws", "os", "is"])
TILEABLE_CHIPS = ["trn2", "tpu-v5e", "tpu-v5p", "h100", "tpu_v4", "toy_4x4", "toy_dual"]


def _finite_non_negative(*values: float) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in values)


@SETTINGS
@given(DIM, DIM, DIM, SIDE, SIDE, DATAFLOW, st.sampled_from(["pipelined", "scalesim"]))
def test_closed_form_is_finite_bounded_and_monotone(m, n, k, rows, cols, dataflow, convention):
    array = SystolicArraySpec(num_rows=rows, num_cols=cols)
    timing = estimate(Gemm(m=m, n=n, k=k), array, dataflow, convention)
    assert isinstance(timing.total_cycles, int) and timing.total_cycles >= 1
    assert 0 < timing.compute_utilization_fraction <= 1
    assert 0 < timing.mapping_efficiency_fraction <= 1
    longer = estimate(Gemm(m=m, n=n, k=2 * k), array, dataflow, convention)
    assert longer.total_cycles >= timing.total_cycles


@SETTINGS
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 12), st.integers(1, 6), st.integers(1, 6), DATAFLOW,
       st.integers(0, 2**32 - 1))
def test_simulator_equals_numpy_and_the_closed_form(m, n, k, rows, cols, dataflow, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-9, 9, (m, k)), rng.integers(-9, 9, (k, n))
    array = SystolicArraySpec(num_rows=rows, num_cols=cols)
    run = call_bounded(simulate, a, b, array, dataflow)
    assert np.array_equal(run.product, a @ b)  # numpy is the reference
    assert run.total_cycles == estimate(Gemm(m=m, n=n, k=k), array, dataflow).total_cycles
    assert 0 < run.compute_utilization_fraction <= 1


@SETTINGS
@given(DIM, DIM, DIM, st.sampled_from(TILEABLE_CHIPS))
def test_gemm_on_one_core_is_finite_and_monotone(m, n, k, chip_id):
    chip = load_chip(chip_id)
    dtype = "bf16" if "bf16" in chip.peak_dtypes else chip.peak_dtypes[0]
    try:
        placed = call_bounded(gemm_on_core, Gemm(m=m, n=n, k=k, dtype=dtype), chip)
    except ChiplabInputError:
        assume(False)  # a GEMM whose dtype the chip lacks, or tiles that cannot fit: refused, fine
    assert _finite_non_negative(placed.time_s, placed.compute_s)
    assert placed.time_s >= placed.compute_s > 0
    assert all(_finite_non_negative(level.num_bytes) for level in placed.levels)
    bigger = call_bounded(gemm_on_core, Gemm(m=m, n=n, k=2 * k, dtype=dtype), chip)
    assert bigger.time_s >= placed.time_s * (1 - 1e-9)


@SETTINGS
@given(DIM, DIM, DIM, st.sampled_from(["trn2", "h100", "tpu-v5p", "tpu-v5e", "mi300x"]))
def test_gemm_on_a_chip_is_finite_and_below_peak(m, n, k, chip_id):
    placed = call_bounded(gemm_on_chip, Gemm(m=m, n=n, k=k), load_chip(chip_id))
    assert _finite_non_negative(placed.time_s, placed.hbm_s, placed.compute_s)
    assert 0 < placed.fraction_of_peak <= 1 + 1e-9


@SETTINGS
@given(st.floats(min_value=1e-12, max_value=1e12), st.floats(min_value=1.0, max_value=1e6),
       st.sampled_from(["trn2", "h100", "tpu_v1", "tpu-v5e"]), st.sampled_from(["flops_per_byte", "macs_per_byte"]))
def test_roofline_is_capped_and_monotone_in_intensity(intensity, factor, chip_id, convention):
    chip = load_chip(chip_id)
    roof = roofline(chip, chip.peak_dtypes[-1] if "bf16" not in chip.peak_dtypes else "bf16", convention)
    low, high = roof.attainable_flops_per_s(intensity), roof.attainable_flops_per_s(intensity * factor)
    assert 0 < low <= high <= roof.peak_flops_per_s


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0.0, "x", None, True])
def test_roofline_refuses_meaningless_intensities(bad):
    with pytest.raises(ChiplabInputError, match="intensity"):
        roofline(load_chip("trn2")).attainable_flops_per_s(bad)
