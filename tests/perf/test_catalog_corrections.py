"""Catalog corrections of issue 12, each against the source the data file cites."""

import pytest

from chiplab.hardware import load_chip
from chiplab.perf import network_for


def test_nvidia_80_gb_is_binary():
    """NVML reports 81,559 MiB for an H100 80GB and 81,920 MiB (= 80 GiB) for an A100 80GB (NVML-TOTALS);
    the datasheet's "80 GB" read as 80e9 bytes made every memory-fit check 6.9 % tight."""
    assert load_chip("h100_sxm").hbm.capacity_bytes == 81_559 * 2**20
    assert load_chip("a100_80gb").hbm.capacity_bytes == 80 * 2**30
    assert load_chip("h200").hbm.capacity_bytes == 143_771 * 2**20
    assert load_chip("v100").hbm.capacity_bytes == 32 * 2**30
    assert load_chip("h100_sxm").hbm.capacity_bytes / 80e9 - 1 > 0.069


def test_the_decimal_datasheet_figure_is_kept_as_an_alternative():
    provenance = load_chip("h100_sxm").provenance["memory.HBM.capacity_bytes"]
    assert [alt.value for alt in provenance.alternatives] == [80e9]


def test_tpu_v3_can_scale_out():
    """A 2D torus gives each chip 4 links; 4 × 1e11 B/s one way (scaling book's per-link figure)."""
    network = network_for(load_chip("tpu_v3"))
    assert network.link_bandwidth_bytes_per_s == 4 * 1e11
    assert network.scale_up_size == 1024 and network.torus_dims == 2


def test_trainium1_and_inferentia2_peaks_are_what_their_tensor_engines_issue():
    """NKI guide: 92 TFLOPS per NeuronCore-v2 Tensor Engine (128 × 128 PEs × 2 × 2.8 GHz = 91.75e12), 2 cores;
    AWS's marketed 190 TFLOPS chip total is kept as the alternative."""
    for chip_id in ("trainium1", "inferentia2"):
        chip = load_chip(chip_id)
        assert chip.peak_flops_per_s("bf16") == 2 * 92e12
        assert chip.peak_check("bf16").closes and chip.peak_check("fp32").closes
        assert 190e12 in [alt.value for alt in chip.provenance["peak_flops_per_s.bf16"].alternatives]


def test_trainium3_peak_is_what_its_tensor_engines_issue():
    """NKI guide: 79 TFLOPS per NeuronCore-v4 Tensor Engine x 8 = 632 (geometry 8 x 128^2 x 2 x 2.4 GHz = 629);
    AWS's marketed 671 is kept as the alternative."""
    chip = load_chip("trainium3")
    assert chip.peak_flops_per_s("bf16") == 632e12 and chip.peak_check("bf16").closes
    assert [alt.value for alt in chip.provenance["peak_flops_per_s.bf16"].alternatives] == [671e12]
    assert chip.peak_check("fp32").closes      # 8 × 20 TFLOPS = 160 vs geometry 157


@pytest.mark.parametrize("chip_id", ["trainium1", "inferentia2", "trainium2", "trainium3"])
def test_neuroncore_tensor_engines_load_a_stationary_tile_in_64_cycles(chip_id):
    """nki.isa.nc_matmul's average cost, max(min(64, N_stationary), N_moving) cycles: a 128-wide stationary tile
    against a one-row moving tile costs 64 cycles, so the 128-row tile loads at 2 rows a cycle."""
    array = load_chip(chip_id).core.matrix_unit.array
    assert array.stationary_load_rows_per_cycle == 2 and array.stationary_load_cycles == 64


def test_trainium3_batch_one_decode_is_hbm_bound():
    """A batch-1 GEMV streams each 128 x 128 bf16 weight tile (32 KiB) through a Tensor Engine in 64 cycles:
    8 cores x 32 KiB / 64 cycles x 2.4 GHz = 9.8 TB/s of weights, twice HBM's 4.9 TB/s, so HBM sets the time:
    8192 x 8192 x 2 B / 4.9e12 B/s = 27.4 us. (At one row a cycle the tile loads would run at 4.9 TB/s, a tie.)"""
    from chiplab.perf import gemm_on_chip
    from chiplab.workloads import Gemm

    chip = load_chip("trainium3")
    gemv = gemm_on_chip(Gemm(m=1, n=8192, k=8192), chip)
    assert gemv.bottleneck == "HBM"
    assert gemv.time_s == pytest.approx(8192 * 8192 * 2 / 4.9e12, rel=0.01)
    batch8 = gemm_on_chip(Gemm(m=8, n=8192, k=8192), chip)
    assert batch8.bottleneck == "HBM" and batch8.compute_s < 0.6 * batch8.time_s


def test_tpu_v2_power_is_the_tpuv4i_papers_tdp():
    """TPUv4i paper (ISCA 2021), Table 1: TDP 280 W for TPU v2."""
    assert load_chip("tpu_v2").tdp_w == 280


def test_mi300x_can_scale_out_over_its_infinity_fabric():
    """7 xGMI links × 64 GB/s one way (AMD's RCCL/xGMI blog) = 448 GB/s into a collective over all 8 GPUs."""
    chip = load_chip("mi300x")
    assert chip.links[0].bandwidth_bytes_per_s == 7 * 64e9 * 2
    network = network_for(chip)
    assert network.link_bandwidth_bytes_per_s == 448e9 and network.scale_up_size == 8


def test_inferentia1_places_gemms_on_its_assumed_array():
    """An assumed 128 × 128 Tensor Engine per NeuronCore-v1 (AWS publishes only 16 TFLOPS per core, 4 cores):
    the clock that gives 16 TFLOPS is 16e12 / (2 × 128²) = 0.488 GHz, so the derived peak closes by construction.
    A GEMV reads its 4096 × 4096 bf16 matrix from DRAM at 50 GiB/s: 32 MiB / 53.7 GB/s = 0.625 ms."""
    from chiplab.perf import gemm_on_chip
    from chiplab.workloads import Gemm

    chip = load_chip("inferentia1")
    assert chip.peak_check("bf16").closes and chip.peak_check("int8").closes
    assert chip.provenance["core.matrix_unit.num_rows"].kind == "assumption"
    gemv = gemm_on_chip(Gemm(m=1, n=4096, k=4096), chip)
    assert gemv.bottleneck == "DRAM"
    assert gemv.time_s == pytest.approx(4096 * 4096 * 2 / (50 * 2**30), rel=0.01)

    # A whole decode step of a model that fits its 8 GiB (Llama 3.2 3B, 6.4 GB of bf16 weights) is DRAM-bound too,
    # as on every other family (test_gemm_mapping.test_decode_step_is_bandwidth_bound_on_every_family).
    from chiplab.perf import estimate_step
    from chiplab.workloads import load_model

    step = estimate_step(load_model("llama3.2-3b").decode_step(batch=1, context_len=1024), chip)
    assert sum(op.time_s for op in step.ops if op.bottleneck == "DRAM") >= 0.95 * step.time_s
