"""Parallelism as published runs state it (issue 12, item 5): FSDP gathers, hidden DP traffic, interleaved 1F1B."""

import pytest

from chiplab.hardware import load_chip
from chiplab.perf import Calibration, collective_time_s, estimate_training, network_for
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model

MODEL = load_model("llama3-8b")
H100 = load_chip("h100_sxm")


def _train(parallelism, **kwargs):
    kwargs.setdefault("calibration", Calibration.ideal())  # checked against the ideal network model below
    return estimate_training(MODEL, H100, parallelism=parallelism, global_batch=64, seq_len=2048, **kwargs)


def test_fsdp_gathers_the_weights_twice_per_microbatch():
    """ZeRO-3 over 16 GPUs (2 nodes): each microbatch all-gathers the bf16 weights before the forward and again
    before the backward pass; with nothing hidden that is 2 · m all-gathers of N · 2 bytes."""
    par = Parallelism(data=16, zero_stage=3)
    est = _train(par, fsdp_overlap_fraction=0.0, num_microbatches=2)
    gather = collective_time_s("all_gather", MODEL.num_params * 2, 16, network_for(H100))
    assert est.fsdp_gather_exposed_s == pytest.approx(2 * 2 * gather)
    hidden = _train(par, num_microbatches=2)  # prefetched under the compute
    assert hidden.fsdp_gather_exposed_s == pytest.approx(max(0.0, 4 * gather - hidden.compute_s))
    assert _train(Parallelism(data=16, zero_stage=1)).fsdp_gather_exposed_s == 0


def test_fsdp_reduce_scatters_gradients_instead_of_all_reducing():
    """Half the traffic of an all-reduce leaves the chip: with nothing hidden, ZeRO-3's exposed gradient sync is
    the reduce-scatter time, ZeRO-1's the all-reduce time."""
    net = network_for(H100)
    zero3 = _train(Parallelism(data=16, zero_stage=3), dp_hidden_fraction=0.0)
    zero1 = _train(Parallelism(data=16, zero_stage=1), dp_hidden_fraction=0.0)
    assert zero3.data_comm_exposed_s == pytest.approx(collective_time_s("reduce_scatter", MODEL.num_params * 2,
                                                                        16, net))
    assert zero1.data_comm_exposed_s == pytest.approx(collective_time_s("all_reduce", MODEL.num_params * 2, 16, net))


def test_hidden_fraction_of_data_parallel_traffic():
    par = Parallelism(data=16, zero_stage=1)
    none = _train(par, dp_hidden_fraction=0.0)
    most = _train(par, dp_hidden_fraction=0.75)
    assert most.data_comm_exposed_s == pytest.approx(0.25 * none.data_comm_exposed_s)


def test_interleaved_schedule_shrinks_the_bubble_and_multiplies_stage_crossings():
    """Narayanan et al. SC'21, Sec. 2.2: bubble (p − 1)/(v·m) of the work; v times the point-to-point sends."""
    par = Parallelism(pipeline=4, data=2)
    plain = _train(par, num_microbatches=8)
    interleaved = _train(par, num_microbatches=8, num_virtual_stages=2)
    assert interleaved.bubble_s == pytest.approx(plain.bubble_s / 2)
    assert plain.bubble_s == pytest.approx(plain.compute_s * 3 / 8)
    assert interleaved.pipeline_comm_s == pytest.approx(2 * plain.pipeline_comm_s)


def test_checkpoints_per_layer_as_megatron_states_them():
    """Megatron-LM's block method recomputes N layers per pipeline stage. Llama 3 70B on 4 stages has 20 layers
    per stage: N = 20 is full recomputation, N = 0 none (FlashAttention's own recompute aside); in between, the
    activations are N·p full-recompute layers plus (80 − N·p) layers that keep everything."""
    from chiplab import ChiplabInputError
    from chiplab.workloads.footprint import training_memory

    model = load_model("llama3-70b")
    par = Parallelism(tensor=8, pipeline=4, data=4, zero_stage=1)

    def train(**kwargs):
        return estimate_training(model, H100, parallelism=par, global_batch=64, seq_len=4096, check_memory=False,
                                 **kwargs)

    full, none = train(recompute="full"), train(recompute="none")
    assert train(recompute="full", recompute_num_layers=20).time_s == pytest.approx(full.time_s)
    assert train(recompute="full", recompute_num_layers=0).time_s == pytest.approx(none.time_s)
    assert none.time_s < train(recompute="full", recompute_num_layers=5).time_s < full.time_s
    memory = {mode: training_memory(model, batch=1, seq_len=4096, recompute=mode, parallelism=par)
              for mode in ("none", "full")}
    mixed = training_memory(model, batch=1, seq_len=4096, recompute="full", parallelism=par, recompute_num_layers=5)
    logits = 4 * 1 * 4096 * model.vocab_size / 8  # fp32 logits of one microbatch, split over t = 8: in all three
    per_layer = {mode: (footprint.activations_bytes - logits) / 80 for mode, footprint in memory.items()}
    assert mixed.activations_bytes == pytest.approx(logits + 20 * per_layer["full"] + 60 * per_layer["none"])
    with pytest.raises(ChiplabInputError, match=r"recompute_num_layers .* needs recompute='full'"):
        train(recompute="none", recompute_num_layers=3)
    with pytest.raises(ChiplabInputError, match="exceeds the 20 layers"):
        train(recompute="full", recompute_num_layers=21)
