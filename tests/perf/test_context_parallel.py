"""Context parallelism as Megatron-Core runs it (developer guide, "Context parallelism",
https://docs.nvidia.com/megatron-core/developer-guide/latest/api-guide/context_parallel.html): each of c chips holds
T/c tokens of every sequence, computes 1/c of core attention, and passes its K, V chunk around a ring.

Expected numbers are worked by hand from the model's shapes (2·m·n·k FLOPs per GEMM) and the guide's own example
("assuming sequence length is 8K, each GPU processes 4K tokens" with CP 2)."""

import dataclasses

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf.collectives import neighbour_transfer_time_s, network_for
from chiplab.perf.context_parallel import (
    context_parallel_step,
    is_core_attention,
    ring_exposed_s,
    ring_passes_per_layer,
    ring_step_s,
)
from chiplab.perf.step import estimate_step
from chiplab.perf.training import estimate_training
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model

SEQ = 8192


def _config():
    return dataclasses.replace(load_model("llama3_8b"), dtype="bf16")


def _flops(step, core_attention):
    return sum(op.total_flops for op in step.ops if op.stage != "optimizer" and hasattr(op, "gemm")
               and is_core_attention(op) == core_attention)


def test_megatron_guide_example_each_gpu_processes_half_the_tokens():
    config = _config()
    local = context_parallel_step(config.training_step(batch=1, seq_len=SEQ // 2), 2)
    assert local.num_tokens == 4096  # the guide: 8K sequence, CP 2 -> "each GPU processes 4K tokens"


@pytest.mark.parametrize("c", [2, 4, 8])
def test_one_chip_does_one_cth_of_attention_and_of_the_linear_layers(c):
    config = _config()
    whole = config.training_step(batch=1, seq_len=SEQ)
    part = context_parallel_step(config.training_step(batch=1, seq_len=SEQ // c), c)
    # Core attention by hand: forward QK^T and P.V are 2 GEMMs of 2*T*T*head_dim per head, T^2 pairs counted (PaLM
    # convention); a chip's T/c queries meet all T keys: T/c * T pairs, i.e. c blocks of (T/c)^2.
    forward_scores = 2 * 2 * config.num_heads * config.head_dim * config.num_layers
    assert sum(op.total_flops for op in part.ops if op.stage == "forward" and op.name in ("scores", "attn_values")
               ) == forward_scores * (SEQ // c) * SEQ
    assert _flops(part, core_attention=True) * c == _flops(whole, core_attention=True)
    # Linear layers have no inter-token work: T/c tokens on each chip
    assert _flops(part, core_attention=False) * c == _flops(whole, core_attention=False)


def test_ring_step_inside_a_node_and_across_nodes():
    network = network_for(load_chip("mi300x"))  # xGMI full mesh: one 64 GB/s link to each peer
    chunk_bytes = 1 * 2048 * 2 * 1024 * 2  # micro 1, T/c = 8192/4 tokens, K and V of 8 KV heads x 128, bf16
    assert ring_step_s(chunk_bytes, network, 1.0, within_domain=True) == neighbour_transfer_time_s(chunk_bytes, network)
    assert ring_step_s(chunk_bytes, network, 1.0, within_domain=True) == pytest.approx(2e-6 + chunk_bytes / 64e9)
    # across nodes every hop moves at once, each on its chip's own 400 Gb/s NIC (50 GB/s)
    assert ring_step_s(chunk_bytes, network, 0.5, within_domain=False) == pytest.approx(
        network.latency_s + chunk_bytes / 25e9)


def test_ring_passes_forward_backward_and_recompute():
    assert ring_passes_per_layer(0.0) == 3  # forward all-gather; backward all-gather + reduce-scatter of dK, dV
    assert ring_passes_per_layer(1.0) == 4  # a fully recomputed layer gathers again


def test_exposed_ring_time_by_hand():
    config = _config()
    c = 4
    step = estimate_step(context_parallel_step(config.training_step(batch=1, seq_len=SEQ // c), c),
                         load_chip("h100_sxm"))
    attention_s = sum(op.time_s for op in step.ops if op.name.split(".")[0] in ("scores", "softmax", "attn_values"))
    # 2 layers x 3 passes x (c - 1 = 3) steps of 1 s = 18 s of transfers, 3/4 of the attention time hides them
    assert ring_exposed_s(step, context_parallel=c, num_layers=2, ring_passes=3, ring_step_time_s=1.0) == \
        pytest.approx(18 - 0.75 * attention_s)
    assert ring_exposed_s(step, context_parallel=c, num_layers=2, ring_passes=3, ring_step_time_s=1e-9) == 0.0
    assert ring_exposed_s(step, context_parallel=1, num_layers=2, ring_passes=3, ring_step_time_s=1.0) == 0.0


def test_context_parallel_against_data_parallel_on_the_same_chips():
    config, chip = _config(), load_chip("h100_sxm")
    common = dict(global_batch=8, seq_len=SEQ, recompute="none", check_memory=False)
    dp = estimate_training(config, chip, parallelism=Parallelism(data=8, zero_stage=1), **common)
    cp = estimate_training(config, chip, parallelism=Parallelism(data=4, zero_stage=1), context_parallel=2, **common)
    assert cp.num_chips == dp.num_chips == 8
    assert cp.model_flops == dp.model_flops
    # same tokens per chip per step (2 half sequences vs 1 whole one) and the same share of attention
    assert cp.microbatch_step.num_tokens * cp.num_microbatches == dp.microbatch_step.num_tokens * dp.num_microbatches
    assert cp.microbatch_step.hardware_flops * cp.num_microbatches == pytest.approx(
        dp.microbatch_step.hardware_flops * dp.num_microbatches)
    # a microbatch holds half a sequence: half the activations; the optimizer is sharded over all 8 chips in both
    assert cp.memory.activations_bytes == pytest.approx(dp.memory.activations_bytes / 2, rel=0.01)
    assert cp.memory.optimizer_state_bytes == pytest.approx(dp.memory.optimizer_state_bytes)
    assert cp.context_comm_exposed_s >= 0.0 and dp.context_comm_exposed_s == 0.0
    assert "context-parallel comm (exposed)" in cp.breakdown_s()


def test_context_parallel_one_is_the_plain_estimate():
    config, chip = _config(), load_chip("h100_sxm")
    args = dict(parallelism=Parallelism(data=2), global_batch=4, seq_len=2048, check_memory=False)
    assert estimate_training(config, chip, context_parallel=1, **args).time_s == \
        estimate_training(config, chip, **args).time_s


@pytest.mark.parametrize("bad", [0, -2, 2.5, "2"])
def test_bad_context_parallel_is_refused(bad):
    with pytest.raises(ChiplabInputError, match="context_parallel"):
        estimate_training(_config(), load_chip("h100_sxm"), parallelism=Parallelism(), global_batch=1,
                          seq_len=2048, context_parallel=bad)


def test_sequence_must_split_evenly():
    with pytest.raises(ChiplabInputError, match="context_parallel"):
        estimate_training(_config(), load_chip("h100_sxm"), parallelism=Parallelism(), global_batch=1,
                          seq_len=2049, context_parallel=2)



@pytest.mark.parametrize(("efficiency", "within"), [(0.0, False), (-1.0, False), (2.0, True), (float("nan"), False),
                                                    (0.5, "no"), (0.5, 1)])
def test_ring_step_refuses_a_bad_efficiency_or_domain_flag(efficiency, within):
    # efficiency 0 used to divide by zero, -1 gave a negative time, nan a nan time, "no" counted as True
    network = network_for(load_chip("mi300x"))
    with pytest.raises(ChiplabInputError, match=r"efficiency_fraction|within_domain"):
        ring_step_s(1e6, network, efficiency, within_domain=within)
    with pytest.raises(ChiplabInputError, match="network"):
        ring_step_s(1e6, None, 0.5, within_domain=False)


@pytest.mark.parametrize("fraction", [-0.1, 1.5, 1e308])
def test_ring_passes_take_a_fraction_of_layers_recomputed(fraction):
    with pytest.raises(ChiplabInputError, match=r"recomputed_layer_fraction must be a fraction in \[0, 1\]"):
        ring_passes_per_layer(fraction)


def test_huge_ring_inputs_are_refused_not_overflowed():
    config = _config()
    step = estimate_step(context_parallel_step(config.training_step(batch=1, seq_len=SEQ // 4), 4),
                         load_chip("h100_sxm"))
    base = dict(step=step, context_parallel=4, num_layers=2, ring_passes=3, ring_step_time_s=1.0)
    for name, value, match in (("context_parallel", 10**400, "context_parallel must be a whole number between"),
                               ("num_layers", 10**400, "num_layers must be a whole number between"),
                               ("ring_passes", 1e308, "ring_passes must be between 0 and 4"),
                               ("ring_step_time_s", 1e308, "must be a finite number")):
        with pytest.raises(ChiplabInputError, match=match):
            ring_exposed_s(**{**base, name: value})
    with pytest.raises(ChiplabInputError, match="context_parallel must be a whole number between 1 and"):
        context_parallel_step(config.training_step(batch=1, seq_len=SEQ), 10**400)
