"""Bad input gets a clear error naming the parameter, the value and what is allowed."""

import numpy as np
import pytest

from chiplab import ChiplabInputError, Conv2d, Gemm, SystolicArraySpec, estimate, simulate

ARRAY = SystolicArraySpec(num_rows=4, num_cols=4)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"m": 0, "n": 1, "k": 1}, "m must be a whole number >= 1; got 0"),
    ({"m": 1, "n": -3, "k": 1}, "n must be a whole number >= 1; got -3"),
    ({"m": 1, "n": 1, "k": 2.5}, "k must be a whole number >= 1; got 2.5"),
    ({"m": 1, "n": 1, "k": "8"}, "k must be a whole number >= 1; got '8'"),
    ({"m": 1, "n": 1, "k": 1, "dtype": "fp7"}, "dtype must be one of"),
])
def test_bad_gemm(kwargs, message):
    with pytest.raises(ChiplabInputError, match=message):
        Gemm(**kwargs)


def test_whole_floats_are_accepted():
    assert Gemm(m=4.0, n=2, k=3).m == 4


@pytest.mark.parametrize(("rows", "cols", "message"), [
    (0, 4, "num_rows must be a whole number >= 1; got 0"),
    (4, 100000, "num_cols must be between 1 and 4096; got 100000"),
])
def test_bad_array(rows, cols, message):
    with pytest.raises(ChiplabInputError, match=message):
        SystolicArraySpec(num_rows=rows, num_cols=cols)


def test_unknown_dataflow_lists_the_allowed_ones():
    with pytest.raises(ChiplabInputError, match=r"dataflow must be one of 'ws' \(weight-stationary\)"):
        estimate(Gemm(m=1, n=1, k=1), ARRAY, "rs")


def test_long_dataflow_names_are_accepted():
    assert estimate(Gemm(m=3, n=3, k=3), ARRAY, "Output-Stationary").dataflow.value == "os"


def test_unknown_convention():
    with pytest.raises(ChiplabInputError, match="convention must be one of pipelined, scalesim; got 'fast'"):
        estimate(Gemm(m=1, n=1, k=1), ARRAY, "ws", "fast")


@pytest.mark.parametrize(("a", "b", "message"), [
    (np.ones((2, 3)), np.ones((4, 2)), r"a is 2×3 and b is 4×2: a's column count must equal b's row count"),
    (np.ones(3), np.ones((3, 2)), r"a must be a non-empty 2-D array \(matrix\); got shape \(3,\)"),
    (np.ones((0, 3)), np.ones((3, 2)), "a must be a non-empty 2-D array"),
    (np.ones((2, 2)), np.array([[1.0, np.nan], [0, 1]]), "b contains NaN or infinity"),
    (np.array([["x"]]), np.ones((1, 1)), "a must hold integers or real numbers"),
    (np.full((2, 2), 2**40), np.full((2, 2), 2**40), "could overflow int64"),
])
def test_bad_matrices(a, b, message):
    with pytest.raises(ChiplabInputError, match=message):
        simulate(a, b, ARRAY)


def test_trace_that_would_not_fit_is_refused_before_allocating():
    big = SystolicArraySpec(num_rows=256, num_cols=256)
    with pytest.raises(ChiplabInputError, match=r"'full' trace of .* cycles on a 256×256 array needs .* GiB"):
        simulate(np.ones((2048, 256)), np.ones((256, 256)), big, trace="full", max_trace_bytes=2**30)


def test_runaway_simulation_is_refused_not_hung():
    tiny = SystolicArraySpec(num_rows=1, num_cols=1)
    with pytest.raises(ChiplabInputError, match="needs 8,000,001 cycles, more than max_cycles=1,000,000"):
        simulate(np.ones((200, 200)), np.ones((200, 200)), tiny)


def test_bad_trace_kind():
    with pytest.raises(ChiplabInputError, match="trace must be one of none, busy, full; got 'all'"):
        simulate(np.ones((2, 2)), np.ones((2, 2)), ARRAY, trace="all")


def test_conv_filter_larger_than_input():
    with pytest.raises(ChiplabInputError, match=r"filter_h \(9\) must not exceed the padded input"):
        Conv2d(ifmap_h=4, ifmap_w=4, filter_h=9, filter_w=1, channels=1, num_filters=1)


def test_a_loading_snapshot_of_an_untraced_run_says_what_it_needs():
    from chiplab.systolic.frames import loading_snapshot

    run = simulate(np.ones((3, 4)), np.ones((4, 5)), SystolicArraySpec(num_rows=4, num_cols=4), "ws")  # trace="none"
    with pytest.raises(ChiplabInputError, match="trace='full'"):
        loading_snapshot(run, 0)
