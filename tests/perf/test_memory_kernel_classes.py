"""Memory-bound kernel classes calibrated apart from STREAM (issue 13): decode GEMVs over weights and decode
attention over a KV cache reach less of the HBM bandwidth than STREAM-like kernels do.

Expected numbers come from the published entries (chiplab/data/measurements/micro_memory_kernels.toml): vLLM PR
#49363 (H100, N=12288, K=5376), FlashAttention issue #1572 (H100 FA3 decode, 1849 GB/s) and FlashInfer PR #1415 (B200
trtllm-gen decode, 5830.86 GB/s), divided by the catalog's datasheet bandwidths (3.35 and 7.7 TB/s).
"""

import statistics
from importlib import resources

import pytest

from chiplab import ChiplabInputError, Gemm
from chiplab.hardware import load_chip
from chiplab.perf import Calibration, estimate_step, fit_calibration, fitted_calibration, gemm_on_chip
from chiplab.perf.calibration_errors import leave_one_source_out
from chiplab.perf.calibration_fit import default_fit
from chiplab.perf.measurements import load_measurements, read_measurements
from chiplab.workloads.ops import GemmOp, ModelStep

H100_BANDWIDTH_BYTES_PER_S = 3.35e12  # catalog (NVIDIA H100 datasheet), the denominator of every H100 fraction here
WEIGHTS_BF16_BYTES = 12288 * 5376 * 2


def test_textbook_gemv_at_efficiency_e_takes_bytes_over_e_times_bandwidth():
    """A batch-1 GEMV reads its whole weight matrix once: time = bytes / (e · bandwidth), with e the calibration's
    weight-stream efficiency, whatever the STREAM efficiency is."""
    chip = load_chip("h100_sxm")
    gemm = Gemm(m=1, n=12288, k=5376, dtype="bf16")
    op = GemmOp(name="up_proj", gemm=gemm, phase="mlp", kind="weight")
    step = ModelStep(name="one gemv", kind="decode", ops=(op,), num_tokens=1, batch=1, seq_len=1, kv_len=1)
    calibration = Calibration(name="test", memory_efficiency_fraction=0.9, weight_stream_efficiency_fraction=0.5)
    estimate = estimate_step(step, chip, calibration)
    hbm_bytes = gemm_on_chip(gemm, chip).hbm_bytes  # the weights plus one row in and one row out
    assert hbm_bytes == pytest.approx(WEIGHTS_BF16_BYTES, rel=1e-3)
    assert estimate.time_s == pytest.approx(hbm_bytes / (0.5 * H100_BANDWIDTH_BYTES_PER_S), rel=1e-9)


def test_attention_gemms_take_the_kv_attention_class_and_other_ops_stream():
    calibration = Calibration(name="test", memory_efficiency_fraction=0.9, weight_stream_efficiency_fraction=0.8,
                              kv_attention_efficiency_fraction=0.5)
    assert calibration.memory_efficiency_of("kv_attention") == 0.5
    assert calibration.memory_efficiency_of("weight_stream") == 0.8
    assert calibration.memory_efficiency_of("stream") == 0.9
    with pytest.raises(ChiplabInputError, match="kernel_class"):
        calibration.memory_efficiency_of("gemv")
    with pytest.raises(ChiplabInputError, match="kv_attention_efficiency_fraction"):
        Calibration(kv_attention_efficiency_fraction=0.0)
    assert Calibration.ideal().kv_attention_efficiency_fraction == 1.0  # the upper bound is unchanged


def test_fit_reads_hbm_bound_gemms_as_weight_stream_points_by_hand():
    """vLLM PR #49363, H100 bf16 batch 16: 46.541434 TFLOP/s on 16 × 12288 × 5376 → measured time 2·m·n·k ÷ that;
    the point's efficiency is the model's HBM time of that GEMM ÷ it (≈ 0.87, where STREAM gives 0.95)."""
    points = {p.entry_id: p for p in default_fit().points}
    point = points["vllm_gemv_h100_bf16_m16"]
    assert point.quantity == "weight_stream" and point.key == "bf16"
    measured_s = 2 * 16 * 12288 * 5376 / 46.541434e12
    modelled_s = gemm_on_chip(Gemm(m=16, n=12288, k=5376), load_chip("h100_sxm")).time_s
    assert point.efficiency_fraction == pytest.approx(modelled_s / measured_s)
    assert 0.85 < point.efficiency_fraction < 0.9
    # The weight-stream factor is kept per dtype: the fp8 GEMVs of the same source reach less (≈ 0.78).
    h100_bf16, h100_fp8 = fitted_calibration("h100_sxm", "bf16"), fitted_calibration("h100_sxm", "fp8")
    assert h100_bf16.weight_stream_efficiency_fraction == pytest.approx(point.efficiency_fraction)
    assert h100_fp8.weight_stream_efficiency_fraction < h100_bf16.weight_stream_efficiency_fraction
    assert h100_bf16.weight_stream_efficiency_fraction < h100_bf16.memory_efficiency_fraction


def test_fit_reads_kv_cache_attention_entries_by_hand():
    assert fitted_calibration("h100_sxm").kv_attention_efficiency_fraction == pytest.approx(
        1849e9 / H100_BANDWIDTH_BYTES_PER_S)
    assert fitted_calibration("b200").kv_attention_efficiency_fraction == pytest.approx(5830.86e9 / 7.7e12)
    # A GPU without its own entry takes the family median; TPUs and Trainium, with none in their family, all chips'.
    median = statistics.median([1849e9 / H100_BANDWIDTH_BYTES_PER_S, 5830.86e9 / 7.7e12])
    for chip in ("h200", "tpu_v6e", "trainium2"):
        calibration = fitted_calibration(chip)
        expected = min(median, calibration.memory_efficiency_fraction)  # never above the chip's own STREAM factor
        assert calibration.kv_attention_efficiency_fraction == pytest.approx(expected)
        assert any("kv_attention" in f for f in calibration.fallbacks)


def test_a_class_no_chip_measured_falls_back_to_stream():
    without = [b for b in load_measurements().benchmarks
               if b.id.startswith(("vllm_gemv_", "fa3_paged", "trtllm_gen_decode"))]
    rest = [b for b in load_measurements().benchmarks if b not in without]
    fit = fit_calibration(rest)
    for quantity in ("weight_stream", "kv_attention"):
        found = fit.factor(quantity, "h100_sxm")
        assert found.level.startswith("stream memory")
        assert found.value == fit.factor("memory", "h100_sxm").value


def test_kernel_class_is_checked_in_the_record(tmp_path):
    entry = next(b for b in load_measurements().benchmarks if b.id == "fa3_paged_decode_h100_b16_s4000")
    assert entry.kernel_class == "kv_cache_attention"
    folder = resources.files("chiplab") / "data" / "measurements"
    (tmp_path / "_sources.toml").write_text((folder / "_sources.toml").read_text())
    text = (folder / "micro_memory_kernels.toml").read_text()
    wrong = text.replace('\nkernel_class = "kv_cache_attention"', '\nkernel_class = "kv_cache"', 1)
    assert wrong != text
    (tmp_path / "micro_memory_kernels.toml").write_text(wrong)
    with pytest.raises(ChiplabInputError, match=r"fa3_paged_decode_h100_b16_s4000.*kernel_class.*kv_cache_attention"):
        read_measurements(tmp_path)


def test_leave_one_source_out_reports_the_new_classes():
    rows = {row.source_id: row for row in leave_one_source_out()}
    for source_id, quantity in (("VLLM-PR49363", "weight_stream"), ("FA-ISSUE-1572", "kv_attention"),
                                ("FLASHINFER-PR1415", "kv_attention")):
        predictions = rows[source_id].predictions
        assert predictions and {p.quantity for p in predictions} == {quantity}
    # Left out, each attention entry is predicted from the other's fraction of its datasheet bandwidth (FA3 on H100
    # 1849 GB/s of 3.35 TB/s, trtllm-gen on B200 5830.86 GB/s of 7.7 TB/s): time error = own ÷ other − 1.
    h100_kv, b200_kv = 1849e9 / H100_BANDWIDTH_BYTES_PER_S, 5830.86e9 / 7.7e12
    (fa3,), (trtllm,) = rows["FA-ISSUE-1572"].predictions, rows["FLASHINFER-PR1415"].predictions
    assert fa3.error_fraction == pytest.approx(h100_kv / b200_kv - 1)  # about -27 %
    assert trtllm.error_fraction == pytest.approx(b200_kv / h100_kv - 1)  # about +37 %
    # The H100 GEMVs (no other GEMV source) fall back to H100's STREAM factor, the best BabelStream run ÷ 3.35 TB/s,
    # and come out too fast by their own efficiency ÷ that factor.
    stream = max(b.measured["bytes_per_s"] for b in load_measurements().benchmarks
                 if b.id.startswith("babelstream_") and b.chip == "h100_sxm") / H100_BANDWIDTH_BYTES_PER_S
    points = {p.entry_id: p for p in default_fit().points}
    for prediction in rows["VLLM-PR49363"].predictions:
        assert prediction.level == "stream memory, own"
        assert prediction.error_fraction == pytest.approx(points[prediction.entry_id].efficiency_fraction / stream - 1)
        assert prediction.error_fraction < 0


def test_a_memory_efficiency_given_by_hand_holds_for_every_memory_kernel_class():
    """A cost scenario's one memory assumption (achievable ÷ datasheet HBM bandwidth) moves the whole decode step:
    STREAM-like ops, weight GEMVs and KV-cache attention alike; a matmul-only change keeps the fitted classes."""
    from chiplab.cost.scenarios import estimate_throughput

    changed = estimate_throughput("serve Llama 3 8B (chat)", "h100_sxm",
                                  memory_efficiency_fraction=0.6).estimate.calibration
    assert (changed.memory_efficiency_fraction, changed.weight_stream_efficiency_fraction,
            changed.kv_attention_efficiency_fraction) == (0.6, 0.6, 0.6)
    kept = estimate_throughput("serve Llama 3 8B (chat)", "h100_sxm",
                               matmul_efficiency_fraction=0.5).estimate.calibration
    assert kept.kv_attention_efficiency_fraction == fitted_calibration("h100_sxm").kv_attention_efficiency_fraction
