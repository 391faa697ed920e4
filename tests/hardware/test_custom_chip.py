"""Designing a chip from a catalog chip: what changes, what follows from it, what stays, and bad input."""

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.hardware.custom import can_be_designed_from, design_chip, designable_bases
from chiplab.perf import estimate_step
from chiplab.units import MiB
from chiplab.workloads.presets import load_model

TRN2 = load_chip("trainium2")


def test_an_unchanged_design_is_its_base():
    design = design_chip("trainium2")
    for dtype in TRN2.peak_dtypes:
        assert design.peak_flops_per_s(dtype) == TRN2.peak_flops_per_s(dtype), dtype
    assert design.memory_levels == TRN2.memory_levels
    assert design.links == TRN2.links
    assert design.vector_peak_flops_per_s == TRN2.vector_peak_flops_per_s
    step = load_model("llama3_8b").training_step(batch=1, seq_len=2048, recompute="none")
    assert estimate_step(step, design).time_s == pytest.approx(estimate_step(step, TRN2).time_s)


def test_it_is_a_new_invented_chip():
    design = design_chip("trainium2", num_rows=256, chip_id="my_chip", display_name="Mine")
    assert (design.id, design.display_name, design.kind, design.family) == ("my_chip", "Mine", "toy", "custom")
    assert design.die_area_mm2 is None and design.num_transistors is None and design.tdp_w is None
    assert design.aliases == ()
    assert "trainium2" in design.notes[0] and "num_rows=256" in design.notes[0]
    assert design_chip("trainium2", tdp_w=650).tdp_w == 650


@pytest.mark.parametrize(("changes", "factor"), [
    ({"num_rows": 256, "num_cols": 256}, 4.0),      # 4× the PEs
    ({"num_cols": 64}, 0.5),
    ({"clock_hz": 1.2e9}, 0.5),                     # half Trainium2's 2.4 GHz
    ({"num_cores": 16}, 2.0),
    ({"num_arrays_per_core": 3}, 3.0),
    ({"num_cores": 4, "num_rows": 256}, 1.0),       # half the cores, twice the rows
])
def test_peak_scales_with_the_matrix_hardware(changes, factor):
    """peak = the base's published peak × (cores · arrays · rows · cols · clock) growth, for every format."""
    design = design_chip("trainium2", **changes)
    for dtype in ("bf16", "fp8", "fp32"):
        assert design.peak_flops_per_s(dtype) == pytest.approx(TRN2.peak_flops_per_s(dtype) * factor)
        assert design.derived_peak_flops_per_s(dtype) == pytest.approx(TRN2.derived_peak_flops_per_s(dtype) * factor)


def test_derived_peak_is_the_geometry_by_hand():
    design = design_chip("toy_dual", num_rows=16, num_cols=4, num_cores=3, clock_hz=2e9)
    # 3 cores × 1 array × 16 × 4 PEs × 2 FLOP per MAC × 2 GHz × 1 bf16 MAC per PE per cycle
    assert design.derived_peak_flops_per_s("bf16") == 3 * 16 * 4 * 2 * 2e9
    assert design.peak_flops_per_s("int8") == 2 * design.peak_flops_per_s("bf16")  # toy_dual: 2 int8 MACs/PE


def test_formats_the_geometry_cannot_scale_are_dropped():
    h100 = load_chip("h100_sxm")
    design = design_chip("h100_sxm", clock_hz=2.0e9)
    derivable = {d for d in h100.published_peak_flops_per_s if h100.core.matrix_unit.can_derive_peak(d)}
    assert set(design.published_peak_flops_per_s) == derivable


def test_memory_knobs_change_only_their_level():
    design = design_chip("trainium2", scratchpad_bytes=8 * MiB, accumulator_bytes=4 * MiB,
                         hbm_bandwidth_bytes_per_s=6e12, hbm_capacity_bytes=2**37)
    assert design.memory_level("SBUF").capacity_bytes == 8 * MiB
    assert design.memory_level("PSUM").capacity_bytes == 4 * MiB
    assert design.hbm.bandwidth_bytes_per_s == 6e12 and design.hbm.capacity_bytes == 2**37
    assert [lvl.vendor_label for lvl in design.memory_levels] == [lvl.vendor_label for lvl in TRN2.memory_levels]
    assert design.memory_level("SBUF").per_core  # still per core


def test_vector_units_follow_the_cores():
    assert design_chip("trainium2", num_cores=4).vector_peak_flops_per_s["fp32"] == \
        TRN2.vector_peak_flops_per_s["fp32"] / 2


def test_sources_are_kept_only_for_unchanged_numbers():
    design = design_chip("trainium2", num_rows=256, hbm_bandwidth_bytes_per_s=4e12)
    assert "core.matrix_unit.num_rows" not in design.provenance
    assert "memory.HBM.bandwidth_bytes_per_s" not in design.provenance
    assert "peak_flops_per_s.bf16" not in design.provenance
    assert design.provenance["core.matrix_unit.num_cols"] == TRN2.provenance["core.matrix_unit.num_cols"]
    assert design.provenance["memory.HBM.capacity_bytes"] == TRN2.provenance["memory.HBM.capacity_bytes"]
    assert set(design.provenance) <= set(design.numeric_fields()) | set(design.text_fields())


def test_more_bandwidth_never_slows_and_a_faster_clock_helps_compute():
    decode = load_model("llama3_8b").decode_step(batch=8, context_len=2048)
    slow = estimate_step(decode, design_chip("trainium2", hbm_bandwidth_bytes_per_s=1.6e12))
    fast = estimate_step(decode, design_chip("trainium2", hbm_bandwidth_bytes_per_s=6.4e12))
    assert fast.time_s < slow.time_s
    train = load_model("llama3_8b").training_step(batch=4, seq_len=2048, recompute="none")
    base = estimate_step(train, design_chip("trainium2"))
    clocked = estimate_step(train, design_chip("trainium2", clock_hz=4.8e9))
    assert clocked.time_s < base.time_s


def test_designable_bases():
    bases = designable_bases()
    assert {"trainium2", "tpu_v5p", "h100_sxm", "toy_4x4"} <= set(bases)
    assert "tpu_v6e" not in bases  # no clock published
    assert "inferentia1" in bases  # an assumed 128 × 128 array since issue 12
    assert not can_be_designed_from(load_chip("tpu_v6e"))


@pytest.mark.parametrize(("changes", "message"), [
    ({"num_rows": 0}, r"num_rows must be a whole number >= 1; got 0"),
    ({"num_cols": 5000}, r"num_cols must be between 1 and 4096; got 5000"),
    ({"num_cores": 100_000}, r"num_cores must be between 1 and 4,096; got 100000"),
    ({"num_arrays_per_core": 2.5}, r"num_arrays_per_core must be a whole number"),
    ({"clock_hz": 2.4}, r"clock_hz must be between 1000 and 1e\+11 Hz \(1.4 GHz is 1.4e9\); got 2.4"),
    ({"hbm_bandwidth_bytes_per_s": -1.0}, r"hbm_bandwidth_bytes_per_s must be a number > 0; got -1.0"),
    ({"hbm_bandwidth_bytes_per_s": float("nan")}, r"hbm_bandwidth_bytes_per_s must be a finite number"),
    ({"scratchpad_bytes": 0}, r"scratchpad_bytes must be a whole number >= 1; got 0"),
    ({"tdp_w": "700"}, r"tdp_w must be a finite number > 0; got '700'"),
    ({"chip_id": "My Chip"}, r"chip id must be lower-case"),
])
def test_bad_designs_name_the_parameter(changes, message):
    with pytest.raises(ChiplabInputError, match=message):
        design_chip("trainium2", **changes)


def test_bases_without_geometry_or_a_level_are_refused():
    with pytest.raises(ChiplabInputError, match=r"'tpu_v6e' lacks one of them\. Designable bases: .*trainium2"):
        design_chip("tpu_v6e")
    with pytest.raises(ChiplabInputError, match=r"no accumulator level to change"):
        design_chip("tpu_v5p", accumulator_bytes=MiB)
    with pytest.raises(ChiplabInputError, match=r"unknown chip|did you mean"):
        design_chip("trainium9")


def test_resized_array_caps_the_base_tile_load_rate_at_its_rows():
    # Trainium2's Tensor Engine loads 2 rows a cycle (AWS NKI nc_matmul cost, data file); a 1-row design cannot
    # load more rows than it has, so its one-row tile loads in one cycle.
    assert design_chip("trainium2").core.matrix_unit.array.stationary_load_rows_per_cycle == 2
    array = design_chip("trainium2", num_rows=1).core.matrix_unit.array
    assert (array.stationary_load_rows_per_cycle, array.stationary_load_cycles) == (1, 1)
