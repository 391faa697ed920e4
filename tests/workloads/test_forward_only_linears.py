"""Forward-only 8-bit linear layers: MaxText's TFF quantization (``tff_quant``), as Google's MLPerf Training v4.1
Trillium GPT-3 runs ask for it.

Expected dtypes from MaxText's code (read 2026-12-08): ``layers/gpt3.py`` of the mlperf/4.1 branch (commit
a08ba225, "Adding Zhiyu's tff quant change") and of the submission's fork (mlcommons/training_results_v4.1
``Google/benchmarks/gpt3/implementations/maxtext/maxtext_fork``) builds ``tff_quant`` as AQT ``config_v3(fwd_bits=8,
dlhs_bits=None, drhs_bits=None)`` ("quantize forward only since backward is already communication-bounded") and
passes it to the attention ``out`` projection and to the ``MlpBlock``; the q/k/v projections keep ``self.quant``,
``quantization=int8`` (``_get_int8_quant_config``: fwd, dlhs and drhs 8 bits).
"""

import dataclasses

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf import Calibration, estimate_step
from chiplab.perf.measurements import load_measurements
from chiplab.perf.validation_cases import case_setup
from chiplab.workloads.eight_bit_training import MAXTEXT_TFF_LINEARS
from chiplab.workloads.presets import load_model

GPT3_INT8 = dataclasses.replace(load_model("gpt3-175b"), dtype="int8")


def _step(**kwargs):
    return GPT3_INT8.training_step(batch=1, seq_len=2048, recompute="full", **kwargs)


def _dtypes(step):
    return {(op.name, op.stage): op.gemm.dtype for op in step.gemm_ops}


def test_tff_keeps_the_forward_in_int8_and_runs_the_gradients_of_out_projection_and_mlp_in_bf16():
    dtypes = _dtypes(_step(forward_only_linears=MAXTEXT_TFF_LINEARS))
    for name in ("o_proj", "up_proj", "down_proj"):  # tff_quant: fwd_bits=8, dlhs_bits=None, drhs_bits=None
        assert dtypes[(name, "forward")] == dtypes[(name, "recompute")] == "int8"
        assert dtypes[(f"{name}.grad_a", "backward")] == dtypes[(f"{name}.grad_b", "backward")] == "bf16"
    # q/k/v keep quantization=int8: all three GEMMs in int8
    assert dtypes[("qkv_proj", "forward")] == dtypes[("qkv_proj.grad_a", "backward")] == "int8"
    assert dtypes[("qkv_proj.grad_b", "backward")] == "int8"


def test_bf16_gradients_need_no_quantization_pass_and_the_flops_do_not_change():
    plain, tff = _step(), _step(forward_only_linears=MAXTEXT_TFF_LINEARS)
    names = {op.name for op in tff.ops}
    assert "o_proj.grad_a.quantize" not in names and "down_proj.grad_b.quantize" not in names
    assert "qkv_proj.grad_b.quantize" in names and "o_proj.quantize" in names
    assert sum(op.total_flops for op in plain.gemm_ops) == sum(op.total_flops for op in tff.gemm_ops)


def test_a_gradient_moved_to_bf16_takes_the_bf16_rate():
    # GPT-3's MLP and out-projection GEMMs (2048 tokens x 12288 x 49152) are compute-bound: under the ideal
    # calibration each takes FLOPs / peak, so a gradient moved to bf16 takes int8 peak / bf16 peak times longer
    # (v6e: 1836 vs 918 TOPS in the catalog, chiplab/data/chips/tpu_v6e.toml)
    chip, ideal = load_chip("tpu_v6e"), Calibration.ideal()
    plain = estimate_step(_step(), chip, ideal).time_by("name")
    tff = estimate_step(_step(forward_only_linears=MAXTEXT_TFF_LINEARS), chip, ideal).time_by("name")
    ratio = chip.peak_flops_per_s("int8") / chip.peak_flops_per_s("bf16")
    for name in ("up_proj.grad_a", "up_proj.grad_b", "down_proj.grad_a", "o_proj.grad_b"):
        assert tff[name] / plain[name] == pytest.approx(ratio, rel=0.02)
    for name in ("qkv_proj.grad_a", "up_proj", "down_proj"):  # still int8
        assert tff[name] == pytest.approx(plain[name])


def test_without_forward_only_layers_int8_training_is_unchanged():
    assert _dtypes(_step(forward_only_linears=())) == _dtypes(_step())


@pytest.mark.parametrize("bad", [3, ("o_proj", "lm_head"), None])
def test_unknown_layers_are_refused_naming_the_parameter(bad):
    with pytest.raises(ChiplabInputError, match="forward_only_linears"):
        _step(forward_only_linears=bad)


def test_the_trillium_mlperf_runs_map_to_tff_and_the_v5p_runs_do_not():
    runs = {run.id: run for run in load_measurements().runs}
    for case in ("mlperf41_gpt3_tpu_v6e_512", "mlperf41_gpt3_tpu_v6e_2048"):  # trillium-N.sh: tff_quant=true
        assert case_setup(runs[case]).arguments["forward_only_linears"] == MAXTEXT_TFF_LINEARS
    # v5p-4096.sh passes quantization=int8 without tff_quant
    assert case_setup(runs["mlperf41_gpt3_tpu_v5p_2048"]).arguments["forward_only_linears"] == ()
