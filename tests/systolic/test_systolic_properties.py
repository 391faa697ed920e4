"""Properties that must hold for every shape: the simulator equals numpy's matmul (a reference no one here
wrote), the closed form equals the simulator cycle for cycle, and utilisation and MAC counts are sane."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiplab import Gemm, SystolicArraySpec, estimate, simulate

dims = st.integers(min_value=1, max_value=13)
array_dims = st.integers(min_value=1, max_value=7)
flows = st.sampled_from(["ws", "os", "is"])


@settings(max_examples=150, deadline=None)
@given(m=dims, n=dims, k=dims, rows=array_dims, cols=array_dims, flow=flows, seed=st.integers(0, 2**16))
def test_simulator_matches_numpy_and_closed_form(m, n, k, rows, cols, flow, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-100, 100, (m, k)), rng.integers(-100, 100, (k, n))
    array = SystolicArraySpec(num_rows=rows, num_cols=cols)
    run = simulate(a, b, array, flow, trace="busy")
    np.testing.assert_array_equal(run.product, a @ b)  # exact for integers
    assert run.total_cycles == estimate(Gemm(m=m, n=n, k=k), array, flow).total_cycles
    assert run.trace.busy.sum() == m * n * k  # every useful MAC happens exactly once
    assert 0 < run.compute_utilization_fraction <= 1


@settings(max_examples=40, deadline=None)
@given(m=dims, n=dims, k=dims, rows=array_dims, cols=array_dims, flow=flows)
def test_simulator_floats_match_numpy(m, n, k, rows, cols, flow):
    rng = np.random.default_rng(m * 1000 + n * 100 + k)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    run = simulate(a, b, SystolicArraySpec(num_rows=rows, num_cols=cols), flow)
    np.testing.assert_allclose(run.product, a @ b, rtol=1e-12, atol=1e-12)


big = st.integers(min_value=1, max_value=5000)


@settings(max_examples=300, deadline=None)
@given(m=big, n=big, k=big, rows=st.sampled_from([4, 8, 32, 128, 256]), cols=st.sampled_from([4, 16, 128, 256]),
       flow=flows, conv=st.sampled_from(["pipelined", "scalesim"]))
def test_closed_form_invariants(m, n, k, rows, cols, flow, conv):
    array = SystolicArraySpec(num_rows=rows, num_cols=cols)
    timing = estimate(Gemm(m=m, n=n, k=k), array, flow, conv)
    assert 0 < timing.compute_utilization_fraction <= 1
    assert 0 < timing.mapping_efficiency_fraction <= 1
    assert timing.compute_utilization_fraction <= timing.mapping_efficiency_fraction + 1e-12
    # Work cannot take fewer cycles than the MACs spread over every PE.
    assert timing.total_cycles >= m * n * k / array.num_pes


@settings(max_examples=300, deadline=None)
@given(m=big, n=big, k=big, rows=st.sampled_from([4, 8, 128]), cols=st.sampled_from([4, 32, 128]), flow=flows,
       which=st.sampled_from("mnk"), conv=st.sampled_from(["pipelined", "scalesim"]))
def test_more_work_never_takes_fewer_cycles(m, n, k, rows, cols, flow, which, conv):
    array = SystolicArraySpec(num_rows=rows, num_cols=cols)
    shape = {"m": m, "n": n, "k": k}
    before = estimate(Gemm(**shape), array, flow, conv).total_cycles
    shape[which] += 1
    assert estimate(Gemm(**shape), array, flow, conv).total_cycles >= before


@pytest.mark.parametrize("flow", ["ws", "os", "is"])
def test_every_operand_element_is_read_at_least_once(flow):
    gemm = Gemm(m=300, n=200, k=100)
    sram = estimate(gemm, SystolicArraySpec(num_rows=32, num_cols=64), flow).sram
    assert sram.num_a_reads >= gemm.m * gemm.k
    assert sram.num_b_reads >= gemm.k * gemm.n
    assert sram.num_c_writes >= gemm.m * gemm.n


def test_real_size_array_matches_numpy():
    """A 128×128 array (TPU v1-v5/Trainium geometry) with several folds in every direction."""
    rng = np.random.default_rng(1)
    a, b = rng.integers(-50, 50, (200, 300)), rng.integers(-50, 50, (300, 260))
    array = SystolicArraySpec(num_rows=128, num_cols=128)
    for flow in ("ws", "os", "is"):
        run = simulate(a, b, array, flow)
        np.testing.assert_array_equal(run.product, a @ b)
        assert run.total_cycles == estimate(Gemm(m=200, n=260, k=300), array, flow).total_cycles
