"""Issue 10's reproductions outside the train/serve commands (3, 4, 11, 12 and the library items), each as found by
probing; the expected behaviour is a correct number or a ChiplabInputError naming the parameter."""

import numpy as np
import pytest

from chiplab import ChiplabInputError, Gemm, SystolicArraySpec, resource_limits, simulate
from chiplab.cli import main
from chiplab.hardware import load_chip
from chiplab.memory import best_tiling, core_view
from chiplab.systolic.simulator import simulation_resources

# --- 3: integer overflow in the tile search ---------------------------------------------------------------------

def _exact_offchip_bytes(gemm: Gemm, tile_m: int, tile_n: int) -> int:
    """chiplab.memory.tiling's loop-nest traffic, in exact Python integers: m·k·⌈n/Tn⌉ + k·n·⌈m/Tm⌉ + m·n."""
    m, n, k = gemm.m, gemm.n, gemm.k
    return (m * k * -(-n // tile_n) + k * n * -(-m // tile_m) + m * n) * gemm.bytes_per_element


@pytest.mark.parametrize(("size", "chip"), [(10**7, "h100"), (2**30, "h100"), (5 * 10**9, "trn2"),
                                            (2**31 - 1, "tpu-v5p")])
def test_tile_search_picks_the_least_traffic_beyond_int64(size, chip):
    # 1e7³ on H100 wrapped m·k·⌈n/Tn⌉ past 2**63 (48 negative byte counts) and picked a tile 2× slower.
    gemm = Gemm(m=size, n=size, k=size)
    search = best_tiling(gemm, core_view(load_chip(chip)))
    assert (search.candidate_offchip_bytes > 0).all()
    exact = [_exact_offchip_bytes(gemm, int(tm), int(tn)) for tm, tn, _ in search.candidate_tiles]
    best = search.best.tiling
    assert _exact_offchip_bytes(gemm, best.tile_m, best.tile_n) == min(exact)
    assert min(exact) > 2**63  # the limit the test is about


@pytest.mark.parametrize(("size", "chip"), [("1073741824", "h100"), ("5000000000", "trn2")])
def test_gemm_on_a_chip_at_the_limits(size, chip, capsys):
    # Was: a false "tiles do not fit in L2 … 8.39e+06 TiB" (h100) and OverflowError (trn2).
    assert main(["gemm", size, size, size, "--chip", chip]) == 0
    out = capsys.readouterr().out
    assert "compute" in out and "e+" in out


# --- 4: unbounded simulation --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "1", "1", "1", "--array", "4096x4096"], "PE-updates), more than the limit"),  # ran ~15 minutes
    (["simulate", "30000", "1", "30000", "--array", "4x4"], "cycles, more than max_cycles"),  # allocated 6.7 GiB
    (["simulate", "3", "3", "3", "--seed", "-1"], "--seed: must be a whole number >= 0; got '-1'"),
    (["simulate", str(10**30), "1", "1"], "cycles, more than max_cycles"),
    (["simulate", "3", "3", str(2**70), "--array", "4x4"], "cycles, more than max_cycles"),
])
def test_simulation_is_refused_before_it_runs(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_simulation_memory_is_checked_before_allocation():
    gemm = Gemm(m=3000, n=3000, k=3000)
    array = SystolicArraySpec(num_rows=128, num_cols=128)
    with resource_limits(max_seconds=1e6):
        estimate = simulation_resources(gemm, array, "ws", max_cycles=10**9)
    # At least the two 3000×3000 int64 operands, the product and numpy's check: 4 × 72 MB.
    assert estimate.memory_bytes >= 4 * 3000 * 3000 * 8
    with resource_limits(max_seconds=1e6, max_memory_bytes=estimate.memory_bytes / 2), pytest.raises(
            ChiplabInputError, match="of memory, more than the limit of"):
        simulation_resources(gemm, array, "ws", max_cycles=10**9)
    with resource_limits(max_seconds=1e-3), pytest.raises(ChiplabInputError, match="resource_limits"):
        simulate(np.ones((64, 64)), np.ones((64, 64)), SystolicArraySpec(num_rows=8, num_cols=8))


def test_simulate_needs_an_array_spec():
    with pytest.raises(ChiplabInputError, match=r"array must be a chiplab\.SystolicArraySpec"):
        simulate(np.ones((2, 2)), np.ones((2, 2)), (128, 128))


# --- 11: flags that would be silently ignored --------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "message"), [
    (["gemm", "8", "8", "8", "--dtype", "fp7"], "--dtype fp7 only applies with --chip"),
    (["gemm", "8", "8", "8", "--dtype", "fp8"], "--dtype fp8 only applies with --chip"),
    (["gemm", "8", "8", "8", "--chip", "h100", "--array", "4x4"], "--array cannot be combined with --chip"),
    (["gemm", "8", "8", "8", "--chip", "h100", "--dataflow", "os", "--convention", "scalesim"],
     "--dataflow, --convention cannot be combined with --chip"),
])
def test_ignored_flags_are_refused(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_gemm_on_chip_uses_its_dtype(capsys):
    assert main(["gemm", "4096", "4096", "4096", "--chip", "h100", "--dtype", "fp8", "--json"]) == 0
    fp8 = capsys.readouterr().out
    assert main(["gemm", "4096", "4096", "4096", "--chip", "h100", "--json"]) == 0
    assert "(fp8)" in fp8 and fp8 != capsys.readouterr().out



# --- 9: numeric edges in the cost model (silicon, TCO) ------------------------------------------------------------

@pytest.mark.parametrize("defect_density_per_cm2", [50.0, 1e3, 1e5, 1e300])
def test_die_yield_that_underflows_is_refused_with_the_numbers(defect_density_per_cm2):
    # Was ZeroDivisionError at high defect density and an infinite cost just below it.
    import dataclasses

    from chiplab.cost.silicon import estimate_silicon_cost, silicon_assumptions_for

    assumptions = dataclasses.replace(silicon_assumptions_for("h100"), defect_density_per_cm2=defect_density_per_cm2)
    with pytest.raises(ChiplabInputError, match="good dies per wafer, so no chip can be made"):
        estimate_silicon_cost(assumptions)


def test_a_poor_but_possible_yield_still_gives_a_finite_price():
    import dataclasses

    from chiplab.cost.silicon import estimate_silicon_cost, silicon_assumptions_for

    # D·A = 8.14 defects per die: Poisson yield e^-8.14 ≈ 2.9e-4, so about 0.02 good dies per wafer.
    assumptions = dataclasses.replace(silicon_assumptions_for("h100"), defect_density_per_cm2=1.0)
    cost = estimate_silicon_cost(assumptions)
    assert cost.die_yield_fraction == pytest.approx(np.exp(-8.14), rel=1e-3)
    assert np.isfinite(cost.price_usd) and cost.price_usd > 0


@pytest.mark.parametrize("rate", [1e-300, 1e-15, 1e-9, 1e-6, 1e-3, 0.08, 0.5])
def test_capital_cost_is_never_negative_and_matches_exact_arithmetic(rate):
    # P·r / (1 − (1 + r)^−n) − P/n went negative at tiny r (cancellation). Reference: exact rational arithmetic.
    from fractions import Fraction

    from chiplab.cost.tco import interest_fraction_per_year

    years = 4
    r = Fraction(rate)
    exact = r / (1 - (1 + r) ** -years) - Fraction(1, years)
    got = interest_fraction_per_year(rate, years)
    assert got >= 0
    assert got == pytest.approx(float(exact), rel=1e-6)


def test_sweeps_are_guarded_and_exact_beyond_int64():
    from chiplab.systolic import sweep_utilization

    array = SystolicArraySpec(num_rows=4, num_cols=4)
    with pytest.raises(ChiplabInputError, match="closed-form estimates"):
        sweep_utilization(array, Gemm(m=4, n=4, k=4), "k", range(1, 10**9))
    sweep = sweep_utilization(array, Gemm(m=4, n=4, k=4), "k", [2**70])
    # WS, one fold: 2R + C + T - 2 cycles (closed_form.pipelined_cycles' docstring) with T = k = 2**70.
    assert sweep.total_cycles.tolist() == [2 * 4 + 4 + 2**70 - 2]


# --- 7 and 8: calibration and argument types (the perf parts are the perf work's; their checks are tested here) --

def _perf_repro(name):
    from chiplab.perf import collective_time_s, estimate_serving, estimate_training, network_for
    from chiplab.perf.calibration import Calibration
    from chiplab.workloads.footprint import Parallelism
    from chiplab.workloads.presets import load_model

    model, h100 = load_model("llama3-8b"), load_chip("h100")
    split = Parallelism(tensor=8, data=8)
    calls = {
        "parallelism=8": lambda: estimate_training(model, h100, parallelism=8, global_batch=64, seq_len=2048),
        # None is the chip's fitted calibration (the default); a name is not a Calibration
        "calibration='ideal'": lambda: estimate_training(model, h100, parallelism=split, global_batch=64,
                                                         seq_len=2048, calibration="ideal"),
        "network='x'": lambda: estimate_training(model, h100, parallelism=split, global_batch=64, seq_len=2048,
                                                 network="x"),
        "batch=1e308": lambda: estimate_serving(model, h100, batch=1e308, prompt_len=128, output_len=128),
        "efficiency 0": lambda: collective_time_s("all_reduce", 1e9, 8, network_for(h100), 0),
        "efficiency -1": lambda: collective_time_s("all_reduce", 1e9, 8, network_for(h100), -1),
        "kernel_overhead_s=nan": lambda: Calibration(kernel_overhead_s=float("nan")),
        "kernel_overhead_s=True": lambda: Calibration(kernel_overhead_s=True),
        "matmul_efficiency_fraction=inf": lambda: Calibration(matmul_efficiency_fraction=float("inf")),
    }
    return calls[name]


@pytest.mark.parametrize("name", ["parallelism=8", "calibration='ideal'", "network='x'", "batch=1e308", "efficiency 0",
                                  "efficiency -1", "kernel_overhead_s=nan", "kernel_overhead_s=True",
                                  "matmul_efficiency_fraction=inf"])
def test_wrong_types_and_non_finite_numbers_are_named(name):
    with pytest.raises(ChiplabInputError):
        _perf_repro(name)()


def test_library_entry_points_check_their_argument_types():
    from chiplab import estimate
    from chiplab.memory import gemm_on_core, roofline

    with pytest.raises(ChiplabInputError, match=r"array must be a chiplab\.SystolicArraySpec"):
        estimate(Gemm(m=8, n=8, k=8), (128, 128))
    with pytest.raises(ChiplabInputError, match="label_or_role must name one of this GEMM's levels"):
        gemm_on_core(Gemm(m=512, n=512, k=512), load_chip("trn2")).level("nope")
    with pytest.raises(ChiplabInputError, match="intensity must be a finite number"):
        roofline(load_chip("trn2")).attainable_flops_per_s("x")


def test_six_n_d_flops_refuses_negative_counts():
    # Issue 10 item 9: six_n_d_flops(-1, ...) returned a negative FLOP count.
    from chiplab.workloads import six_n_d_flops

    with pytest.raises(ChiplabInputError):
        six_n_d_flops(-1, 1e12)
