"""Tensor-parallel communication overlapped with the GEMMs (Megatron-LM/Transformer Engine ``--tp-comm-overlap``;
Wang et al., ASPLOS 2023): each collective is cut into chunks that move while the neighbouring linear layer's GEMM
computes, so only the part longer than those GEMMs is exposed."""

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf import estimate_training
from chiplab.perf.measurements import get_measurement
from chiplab.perf.validation_cases import case_setup
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model

_SETUP = {"parallelism": Parallelism(tensor=8, data=2, zero_stage=1), "global_batch": 16, "seq_len": 4096,
          "recompute": "full", "check_memory": False}


def _linear_s(estimate):
    return sum(op.time_s for op in estimate.microbatch_step.ops
               if op.is_gemm and op.name.split(".")[0] not in ("scores", "attn_values", "logits"))


def test_overlap_hides_tensor_parallel_collectives_behind_the_linear_gemms():
    model, chip = load_model("llama3-70b"), load_chip("h100_sxm")
    plain = estimate_training(model, chip, **_SETUP)
    overlapped = estimate_training(model, chip, tp_comm_overlap=True, **_SETUP)
    linear_s = _linear_s(plain) * plain.num_microbatches
    assert plain.tensor_comm_s > 0
    assert overlapped.tensor_comm_s == pytest.approx(max(0.0, plain.tensor_comm_s - linear_s))
    # Nothing else moves: the same compute, bubble and data-parallel traffic.
    assert overlapped.compute_s == plain.compute_s and overlapped.data_comm_exposed_s == plain.data_comm_exposed_s
    assert overlapped.time_s == pytest.approx(plain.time_s - plain.tensor_comm_s + overlapped.tensor_comm_s)


def test_overlap_changes_nothing_without_tensor_parallelism():
    model, chip = load_model("llama3-8b"), load_chip("h100_sxm")
    setup = {**_SETUP, "parallelism": Parallelism(data=16)}
    assert (estimate_training(model, chip, tp_comm_overlap=True, **setup).time_s
            == estimate_training(model, chip, **setup).time_s)


def test_overlap_must_be_a_bool():
    with pytest.raises(ChiplabInputError, match="tp_comm_overlap"):
        estimate_training(load_model("llama3-8b"), load_chip("h100_sxm"), tp_comm_overlap=1, **_SETUP)


def test_validation_turns_overlap_on_only_where_the_source_states_it():
    """MLPerf Training v5.0's NVIDIA Llama 3.1 405B submission lists 'TP communication overlap'; NeMo's Llama 3 8B
    performance-table row does not."""
    assert case_setup(get_measurement("mlperf50_llama31_405b_h100_512")).arguments["tp_comm_overlap"] is True
    assert case_setup(get_measurement("nemo_llama3_8b_h100_8gpu_fp8")).arguments["tp_comm_overlap"] is False
