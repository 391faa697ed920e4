"""Textbook physics a student can verify by hand (issue 12, "How to check it")."""

import pytest

from chiplab import Gemm
from chiplab.hardware import load_chip
from chiplab.perf import gemm_on_chip
from chiplab.workloads.footprint import Parallelism, training_memory
from chiplab.workloads.presets import load_model


@pytest.mark.parametrize("chip_id", ["h100_sxm", "tpu_v5p", "trainium2"])
def test_critical_batch_from_the_ridge_point(chip_id):
    """A weight GEMM with b tokens against a d × d bf16 weight does 2·b·d² FLOPs on about 2·d² bytes: b FLOPs per
    byte. It is bound by HBM below the ridge point (peak ÷ bandwidth: H100 989.4e12 / 3.35e12 = 295, TPU v5p
    459e12 / 2.765e12 = 166, Trainium2 632e12 / 2.9e12 = 218) and by compute well above it."""
    chip = load_chip(chip_id)
    ridge = chip.peak_flops_per_s("bf16") / chip.hbm.bandwidth_bytes_per_s
    below = gemm_on_chip(Gemm(m=int(ridge / 4), n=8192, k=8192), chip)
    above = gemm_on_chip(Gemm(m=int(ridge * 8), n=8192, k=8192), chip)
    assert below.bottleneck == chip.hbm.vendor_label
    assert above.bottleneck == "compute"


def test_memory_for_weights_and_optimizer_state():
    """Mixed-precision Adam (ZeRO paper, Sec. 3.1): 2 (bf16 weights) + 2 (gradients) + 4 (fp32 master) + 8 (two
    fp32 moments) = 16 bytes per parameter, spread over t·p chips; ZeRO-3 divides all of it by d as well."""
    model = load_model("llama3-70b")
    n = model.num_params
    plain = training_memory(model, batch=1, seq_len=2048, parallelism=Parallelism(tensor=8, pipeline=4))
    assert plain.weights_bytes + plain.gradients_bytes + plain.optimizer_state_bytes == pytest.approx(16 * n / 32)
    zero3 = training_memory(model, batch=1, seq_len=2048,
                            parallelism=Parallelism(tensor=8, pipeline=4, data=16, zero_stage=3))
    assert zero3.weights_bytes + zero3.gradients_bytes + zero3.optimizer_state_bytes == pytest.approx(
        16 * n / 32 / 16)


def test_flops_per_token_with_and_without_attention():
    """PaLM's count (App. B): 6N per token without attention, + 12·L·H·Q·T with it (Llama 3 8B: L = 32, H·Q =
    4096)."""
    model = load_model("llama3-8b")
    for seq_len in (128, 4096):
        per_token = model.training_step(batch=1, seq_len=seq_len).model_flops / seq_len
        assert per_token == pytest.approx(6 * model.num_matmul_params + 12 * 32 * 4096 * seq_len, rel=1e-9)


CHIPS = ["h100_sxm", "h200", "a100_80gb", "mi300x", "trainium2", "tpu_v5e", "tpu_v5p", "tpu_v6e", "tpu_v4"]


def test_far_from_the_ridge_the_ordering_is_the_datasheets():
    """Far below the ridge point (decode at batch 1) chips rank by HBM bandwidth; far above it (a big square GEMM)
    by peak FLOP/s. Both orderings come from the chips' datasheets (the catalog's sourced numbers), not from
    anything chiplab fits: the decode step is timed with Calibration.ideal(), so a fitted efficiency cannot make the
    test agree with itself. A mechanism wrong for one kind of chip would break one of the two orderings."""
    from chiplab.perf import Calibration, estimate_step

    model = load_model("llama3-8b")
    chips = [load_chip(c) for c in CHIPS]
    decode = {c.id: estimate_step(model.decode_step(batch=1, context_len=512), c, Calibration.ideal()).time_s
              for c in chips}
    by_bandwidth = sorted(CHIPS, key=lambda c: -load_chip(c).hbm.bandwidth_bytes_per_s)
    assert sorted(CHIPS, key=decode.get) == by_bandwidth
    big = {c.id: gemm_on_chip(Gemm(m=16384, n=16384, k=16384), c).time_s for c in chips}
    by_peak = sorted(CHIPS, key=lambda c: -load_chip(c).peak_flops_per_s("bf16"))
    assert sorted(CHIPS, key=big.get) == by_peak
