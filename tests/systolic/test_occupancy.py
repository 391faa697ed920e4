"""The closed-form occupancy equals the cycle-level simulator's busy trace, PE by PE, cycle by cycle."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiplab import ChiplabInputError, SystolicArraySpec, simulate
from chiplab.systolic import plan_folds
from chiplab.systolic.occupancy import busy_mask, snapshot
from chiplab.workloads import Gemm


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 11), n=st.integers(1, 11), k=st.integers(1, 11), rows=st.integers(1, 6),
       cols=st.integers(1, 6), flow=st.sampled_from(["ws", "os", "is"]))
def test_busy_mask_equals_simulated_trace(m, n, k, rows, cols, flow):
    run = simulate(np.ones((m, k)), np.ones((k, n)), SystolicArraySpec(num_rows=rows, num_cols=cols), flow,
                   trace="busy")
    for cycle in range(run.total_cycles):
        np.testing.assert_array_equal(busy_mask(run.plan, cycle), run.trace.busy[cycle], err_msg=f"cycle {cycle}")


def test_snapshot_rejects_cycles_outside_the_run():
    plan = plan_folds(Gemm(m=4, n=4, k=4), SystolicArraySpec(num_rows=4, num_cols=4), "ws")
    assert snapshot(plan, 13).num_cycles == 14
    with pytest.raises(ChiplabInputError, match="cycle must be between 0 and 13; got 14"):
        snapshot(plan, 14)
