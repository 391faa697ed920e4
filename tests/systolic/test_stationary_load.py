"""A stationary tile that loads faster than one row a cycle (AWS's "Fast LoadStationary").

Hand-checkable toy cases, then the same properties as every other array: the simulator still equals numpy's
matmul and the closed form cycle for cycle, and the closed-form occupancy still equals the simulated trace.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiplab import ChiplabInputError, Gemm, SystolicArraySpec, estimate, simulate
from chiplab.systolic import plan_folds
from chiplab.systolic.occupancy import busy_mask


def test_default_array_loads_one_row_a_cycle():
    """The default is SCALE-Sim's and the TPU's: an R-row tile takes R cycles (the fold plan records None)."""
    array = SystolicArraySpec(num_rows=8, num_cols=4)
    assert array.stationary_load_cycles == 8 and str(array) == "8×4 array"
    assert plan_folds(Gemm(m=1, n=4, k=8), array, "ws").stationary_load_cycles is None


def test_short_stream_pays_only_the_faster_tile_swap():
    """WS, T = 1, two row folds on a 4×4 array. Fold f ends at L + f·P + T + (R + c) − 2 (closed_form):
    one row a cycle, L = P = 4: 4 + 4 + 1 + 8 − 2 = 15 cycles; two rows a cycle, L = P = 2: 2 + 2 + 1 + 8 − 2 = 11."""
    gemm = Gemm(m=1, n=4, k=8)
    slow = SystolicArraySpec(num_rows=4, num_cols=4)
    fast = SystolicArraySpec(num_rows=4, num_cols=4, stationary_load_rows_per_cycle=2)
    assert estimate(gemm, slow, "ws").total_cycles == 15
    assert estimate(gemm, fast, "ws").total_cycles == 11
    a, b = np.arange(8).reshape(1, 8), np.arange(32).reshape(8, 4)
    run = simulate(a, b, fast, "ws")
    assert run.total_cycles == 11
    np.testing.assert_array_equal(run.product, a @ b)


def test_a_long_stream_hides_the_load_either_way():
    """With T ≥ R every fold lasts T cycles; only the first tile's load (L) is shorter: 4 − 1 = 3 cycles."""
    gemm = Gemm(m=16, n=8, k=8)
    slow = estimate(gemm, SystolicArraySpec(num_rows=4, num_cols=4), "ws").total_cycles
    fast = estimate(gemm, SystolicArraySpec(num_rows=4, num_cols=4, stationary_load_rows_per_cycle=4), "ws")
    assert slow - fast.total_cycles == 3


def test_output_stationary_ignores_the_load_rate():
    """OS holds outputs, not a loaded tile: its R-cycle output drain is unchanged."""
    gemm = Gemm(m=9, n=9, k=2)
    slow = estimate(gemm, SystolicArraySpec(num_rows=4, num_cols=4), "os").total_cycles
    fast = estimate(gemm, SystolicArraySpec(num_rows=4, num_cols=4, stationary_load_rows_per_cycle=4), "os")
    assert fast.total_cycles == slow


def test_scalesim_convention_refuses_a_faster_load():
    fast = SystolicArraySpec(num_rows=4, num_cols=4, stationary_load_rows_per_cycle=2)
    with pytest.raises(ChiplabInputError, match="stationary_load_rows_per_cycle"):
        estimate(Gemm(m=4, n=4, k=4), fast, "ws", convention="scalesim")


@pytest.mark.parametrize("rate", [0, -1, 1.5, "2", 5000])
def test_bad_load_rate_is_named(rate):
    with pytest.raises(ChiplabInputError, match="stationary_load_rows_per_cycle"):
        SystolicArraySpec(num_rows=4, num_cols=4, stationary_load_rows_per_cycle=rate)


def test_load_rate_above_rows_is_refused():
    with pytest.raises(ChiplabInputError,
                       match=r"stationary_load_rows_per_cycle must be between 1 and num_rows = 4.*got 5"):
        SystolicArraySpec(num_rows=4, num_cols=8, stationary_load_rows_per_cycle=5)
    assert SystolicArraySpec(num_rows=4, num_cols=8, stationary_load_rows_per_cycle=4).stationary_load_cycles == 1


@settings(max_examples=120, deadline=None)
@given(m=st.integers(1, 11), n=st.integers(1, 11), k=st.integers(1, 11), rows=st.integers(1, 6),
       cols=st.integers(1, 6), rate=st.integers(1, 7), flow=st.sampled_from(["ws", "os", "is"]),
       seed=st.integers(0, 2**16))
def test_simulator_matches_numpy_closed_form_and_occupancy(m, n, k, rows, cols, rate, flow, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-50, 50, (m, k)), rng.integers(-50, 50, (k, n))
    rate = 1 + (rate - 1) % rows  # 1 … rows: a wider load path is refused (test_load_rate_above_rows_is_refused)
    array = SystolicArraySpec(num_rows=rows, num_cols=cols, stationary_load_rows_per_cycle=rate)
    run = simulate(a, b, array, flow, trace="busy")
    np.testing.assert_array_equal(run.product, a @ b)  # exact for integers
    assert run.total_cycles == estimate(Gemm(m=m, n=n, k=k), array, flow).total_cycles
    assert run.trace.busy.sum() == m * n * k
    plan = plan_folds(Gemm(m=m, n=n, k=k), array, flow)
    for cycle in range(run.total_cycles):
        np.testing.assert_array_equal(busy_mask(plan, cycle), run.trace.busy[cycle])
