"""Time: one matmul = chiplab.systolic's closed form; one DMA = bytes / bandwidth + latency; toy kernels timed by
hand; overlap: double buffering approaches max(DMA, compute), one buffer their sum."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiplab.hardware import load_chip
from chiplab.kernels import Kernel, core_params, run_matmul, supported_chips
from chiplab.systolic import estimate
from chiplab.workloads.gemm import Gemm


def _single_matmul(chip, k, m, n, dtype="bf16", dataflow="ws"):
    """Load two operands, one matmul; returns the run and the matmul's (start, end)."""
    kernel = Kernel(chip, values=False, dataflow=dataflow)
    a = kernel.hbm("a_t", shape=(k, m), dtype=dtype)
    b = kernel.hbm("b", shape=(k, n), dtype=dtype)
    ta, tb, acc = kernel.tile((k, m), dtype, name="a"), kernel.tile((k, n), dtype, name="b"), kernel.psum((m, n))
    kernel.load(ta, a)
    kernel.load(tb, b)
    kernel.matmul(acc, ta, tb)
    run = kernel.finish()
    i = run.timeline.engine.tolist().index(core_params(chip).num_dma_queues)
    return run, run.timeline.start_s[i], run.timeline.end_s[i]


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 128), m=st.integers(1, 128), n=st.integers(1, 512),
       dataflow=st.sampled_from(["ws", "os", "is"]))
def test_single_matmul_time_is_the_systolic_closed_form(k, m, n, dataflow):
    # NKI's matmul keeps the stationary operand (k x m) in the array and streams the n moving columns, which
    # is chiplab.systolic's Gemm(m=n, n=m, k=k) in its own convention (C = A @ B, A streaming).
    params = core_params("trn2")
    _, start, end = _single_matmul("trn2", k, m, n, dataflow=dataflow)
    cycles = estimate(Gemm(m=n, n=m, k=k), params.array, dataflow).total_cycles
    assert end - start == pytest.approx(cycles / params.matrix_clock_hz, rel=1e-12)


def test_fp32_matmul_is_four_times_slower_on_trainium2():
    # Trainium2: fp32 runs at 0.25 MAC per PE per cycle ("20 FP32 dense TFLOPS" vs 79 bf16 per core, NKI guide).
    _, s16, e16 = _single_matmul("trn2", 128, 128, 512, "bf16")
    _, s32, e32 = _single_matmul("trn2", 128, 128, 512, "fp32")
    assert (e32 - s32) == pytest.approx(4 * (e16 - s16))


def test_tpu_matmul_shares_rows_among_its_mxus():
    # TPU v5e: 4 MXUs per TensorCore (catalog); a 512-row block is 128 rows per MXU.
    params = core_params("tpu_v5e")
    kernel = Kernel("tpu_v5e", values=False)
    x, y = kernel.hbm("x", shape=(512, 128)), kernel.hbm("y", shape=(128, 128))
    tx, ty, acc = kernel.tile((512, 128), name="x"), kernel.tile((128, 128), name="y"), kernel.psum((512, 128))
    kernel.load(tx, x)
    kernel.load(ty, y)
    kernel.dot(acc, tx, ty)
    t = kernel.finish().timeline
    cycles = estimate(Gemm(m=128, n=128, k=128), params.array, "ws").total_cycles
    assert t.end_s[-1] - t.start_s[-1] == pytest.approx(cycles / params.matrix_clock_hz)


@pytest.mark.parametrize("chip", supported_chips())
def test_a_pure_dma_kernel_takes_bytes_over_bandwidth_plus_latency(chip):
    params = core_params(chip)
    kernel = Kernel(chip, values=False)
    shape = (16, 16)   # 1 KiB: fits even the toy chip's 4 KiB SRAM
    src = kernel.hbm("x", shape=shape, dtype="fp32")
    kernel.load(kernel.tile(shape, "fp32", name="x"), src)
    run = kernel.finish()
    chip_data = load_chip(chip)
    # The core's share of the chip's HBM bandwidth (one kernel per core, SPMD), plus the DMA latency assumed in
    # chiplab/data/kernels/engines.toml.
    bandwidth = chip_data.hbm.bandwidth_bytes_per_s / chip_data.num_cores
    assert run.total_s == pytest.approx(shape[0] * shape[1] * 4 / bandwidth + params.dma_latency_s, rel=1e-12)


def test_toy_kernel_by_hand():
    # toy_4x4 (chiplab/data/chips/toy_4x4.toml): 1 GHz, DRAM 4 GB/s, one 4x4 array; engines.toml: one DMA queue
    # with 10 ns latency, a vector unit doing 4 elements per cycle with no overhead.
    #   load A (4x4 bf16 = 32 B): 10 ns latency + 32 B / 4 GB/s = 8 ns        → 0 .. 18 ns
    #   load B (32 B) on the same queue, after A                                → 18 .. 36 ns
    #   matmul 4x4x4, weight-stationary: 2R + C + T - 2 = 8 + 4 + 4 - 2 = 14 cycles → 36 .. 50 ns
    #   copy 4x4 fp32 on the vector unit: 4 rows x ceil(4 / 4) = 4 cycles       → 50 .. 54 ns
    #   store (4x4 fp32 = 64 B): 10 ns + 64 B / 4 GB/s = 16 ns                  → 54 .. 80 ns
    kernel = Kernel("toy_4x4")
    a = kernel.hbm("a_t", np.arange(16.0).reshape(4, 4))
    b = kernel.hbm("b", np.eye(4))
    c = kernel.hbm_output("c", (4, 4))
    ta, tb = kernel.tile((4, 4), name="a"), kernel.tile((4, 4), name="b")
    acc, out = kernel.psum((4, 4)), kernel.tile((4, 4), "fp32", name="out")
    kernel.load(ta, a)
    kernel.load(tb, b)
    kernel.matmul(acc, ta, tb)
    kernel.copy(out, acc)
    kernel.store(c, out)
    run = kernel.finish()
    np.testing.assert_allclose(run.timeline.end_s * 1e9, [18, 36, 50, 54, 80])
    np.testing.assert_array_equal(run.outputs["c"], np.arange(16.0).reshape(4, 4).T)


def _stream(chip, num_buffers, steps=16):
    """Load a tile, matmul on it, repeat: with one buffer each load waits for the previous matmul (WAR)."""
    kernel = Kernel(chip, values=False)
    src = kernel.hbm("b", shape=(128, 512 * steps))
    stationary = kernel.tile((128, 128), name="w")
    kernel.load(stationary, kernel.hbm("w", shape=(128, 128)))
    tiles = [kernel.tile((128, 512), name=f"b {i}") for i in range(num_buffers)]
    accs = [kernel.psum((128, 512), name=f"acc {i}") for i in range(2)]
    for s in range(steps):
        kernel.load(tiles[s % num_buffers], src[:, 512 * s:512 * (s + 1)], queue=0)
        kernel.matmul(accs[s % 2], stationary, tiles[s % num_buffers])
    return kernel.finish()


def test_double_buffering_overlaps_and_one_buffer_adds_up():
    params = core_params("trn2")
    steps = 16
    dma_s = params.dma_latency_s + 128 * 512 * 2 / params.offchip_bandwidth_bytes_per_s
    matmul_s = estimate(Gemm(m=512, n=128, k=128), params.array, "ws").total_cycles / params.matrix_clock_hz
    single, double = _stream("trn2", 1, steps), _stream("trn2", 2, steps)
    first_load = params.dma_latency_s + 128 * 128 * 2 / params.offchip_bandwidth_bytes_per_s
    # One buffer: every step is a load then a matmul, one after the other.
    assert single.total_s == pytest.approx(first_load + steps * (dma_s + matmul_s), rel=1e-9)
    # Two buffers: the DMA queue never waits (DMA is the longer of the two here), the last matmul trails it.
    assert dma_s > matmul_s
    assert double.total_s == pytest.approx(first_load + steps * dma_s + matmul_s, rel=1e-9)


def test_better_kernels_are_faster_for_the_reason_they_claim():
    naive, tiled, double = (run_matmul("trn2", shape=(2048, 2048, 2048), variant=v, values=False)
                            for v in ("naive", "tiled", "double_buffered"))
    assert tiled.level("HBM").read_bytes < naive.level("HBM").read_bytes / 2   # reuse cuts HBM traffic
    assert double.level("HBM").read_bytes == tiled.level("HBM").read_bytes    # same traffic ...
    assert double.total_s < 0.85 * tiled.total_s < 0.85 * naive.total_s       # ... but overlapped
    assert double.peak_fraction > 0.8


def _dma_stream_efficiency(free_fp32: int, num_transfers: int = 64) -> float:
    """Achieved / available HBM bandwidth for back-to-back loads of (128, free_fp32) fp32 tiles on all queues."""
    params = core_params("trn2")
    kernel = Kernel("trn2", values=False)
    src = kernel.hbm("x", shape=(128, free_fp32 * num_transfers), dtype="fp32")
    tiles = [kernel.tile((128, free_fp32), "fp32", name=f"t{q}") for q in range(params.num_dma_queues)]
    for i in range(num_transfers):
        kernel.load(tiles[i % len(tiles)], src[:, i * free_fp32:(i + 1) * free_fp32])
    run = kernel.finish()
    return 128 * free_fp32 * 4 * num_transfers / run.total_s / params.offchip_bandwidth_bytes_per_s


def test_small_dmas_waste_bandwidth_as_the_nki_guide_says():
    # AWS NKI tutorial "Block-grid fundamentals" (citing the DMA bandwidth guide), accessed 2026-12-07,
    # https://awsdocs-neuron.readthedocs-hosted.com/en/latest/_sources/nki/guides/tutorials/tiled-grid-blocks.rst:
    # "a transfer should carry at least 2 KiB per partition ... with 4 KiB needed to saturate the engines"; a
    # (128, 128) fp32 tile "carries only 512 bytes, so moving those one at a time spends most of the available
    # bandwidth on per-transfer overhead". chiplab's assumed DMA latency must reproduce that shape.
    assert _dma_stream_efficiency(128) < 0.5          # 512 B per partition: mostly overhead
    assert _dma_stream_efficiency(1024) > 0.9         # 4 KiB per partition: saturated
