"""The all-reduce of the K/V output gradients that replicated KV heads cost in training (chiplab.perf.kv_replication).

What is communicated, read in neuronx-distributed at fbac349 (2026-12-08): ``modules/qkv_linear_utils.py``
``_qkvlinear_autograd_base_setup_bwd`` all-reduces ``[grad_output_k, grad_output_v]`` cast to ``reduce_dtype``
(``torch.float32`` by default, ``modules/qkv_linear.py``) over ``get_kv_shared_replica_groups()``, the
``kv_size_multiplier`` ranks holding one head, interleaved on Trn1 (``parallel_state.arrange_kv_groups``: rank j with
j + H, j + 2H, ...). Llama 3 8B shapes from Meta's config.json: 32 layers, 8 KV heads of 128.

Hand-worked case, NxD's Llama 3 8B script (TP 32 NeuronCores = 16 Trainium chips x 2, ``--kv_replicator 4``): each
rank holds 1 KV head; dK + dV of 8192 tokens = 8192 x 2 x 128 x 4 B = 8 MiB per rank; ranks j, j+8, j+16, j+24 sit on
chips j//2, +4, +8, +12 (4 chips), each chip's 2 ranks in 2 different groups: 16 MiB per chip over 4 chips. On a
ring of link bandwidth B without latency (Thakur et al. 2005): 2 x 3/4 x 16 MiB / B per layer.
"""

import dataclasses

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf import Calibration, estimate_training
from chiplab.perf.collectives import Network
from chiplab.perf.kv_replication import kv_gradient_allreduce_s, kv_replication_factor
from chiplab.workloads import load_model
from chiplab.workloads.footprint import Parallelism

RING = Network(link_bandwidth_bytes_per_s=100e9, scale_up_size=16, torus_dims=1, latency_s=0.0)
IDEAL = Calibration.ideal()


def test_llama3_8b_on_32_neuroncores_by_hand():
    llama = load_model("llama3-8b")
    assert kv_replication_factor(llama, 32) == 4  # --kv_replicator 4 of the NxD script
    per_layer_s = 2 * 3 / 4 * (8192 * 2 * 128 * 4 * 2) / 100e9  # 16 MiB a chip, all-reduced over 4 chips
    assert kv_gradient_allreduce_s(llama, tensor=16, tensor_ranks_per_chip=2, tokens=8192, num_layers=32,
                                   calibration=IDEAL, network=RING) == pytest.approx(32 * per_layer_s, rel=1e-12)


def test_group_members_on_one_chip_reduce_locally():
    # 2 KV heads on 8 ranks (4 per chip, 2 chips): groups {0,2,4,6} and {1,3,5,7}; chip 0 holds ranks 0-3, so each
    # group has 2 members a chip and spans 2 chips; each chip carries both groups' dK + dV (1 head a rank)
    config = dataclasses.replace(load_model("llama3-8b"), num_kv_heads=2)
    rank_bytes = 1024 * 2 * 128 * 4
    expected_s = 2 * 1 / 2 * (2 * rank_bytes) / 100e9
    assert kv_gradient_allreduce_s(config, tensor=2, tensor_ranks_per_chip=4, tokens=1024, num_layers=1,
                                   calibration=IDEAL, network=RING) == pytest.approx(expected_s, rel=1e-12)


def test_no_replication_no_collective():
    llama = load_model("llama3-8b")
    assert kv_replication_factor(llama, 8) == 1
    assert kv_gradient_allreduce_s(llama, tensor=4, tensor_ranks_per_chip=2, tokens=8192, num_layers=32,
                                   calibration=IDEAL, network=RING) == 0.0


def test_training_step_adds_it_once_per_microbatch_recompute_or_not():
    llama, chip = load_model("llama3-8b"), load_chip("trainium1")
    kwargs = dict(parallelism=Parallelism(tensor=16, data=2, zero_stage=1), global_batch=8, seq_len=1024,
                  num_microbatches=4, calibration=IDEAL, network=RING, check_memory=False)
    copied = estimate_training(llama, chip, tensor_ranks_per_chip=2, **kwargs)
    split = estimate_training(llama, chip, tensor_ranks_per_chip=1, **kwargs)  # 16 ranks: still 2 copies a head
    one_microbatch_s = kv_gradient_allreduce_s(llama, tensor=16, tensor_ranks_per_chip=2, tokens=1024,
                                               num_layers=32, calibration=IDEAL, network=RING)
    plain_s = 4 * 32 * 4 * 2 * 15 / 16 * (1024 * 4096 * 2) / 100e9  # 4 TP all-reduces a layer, bf16 activations
    assert copied.tensor_comm_s == pytest.approx(plain_s + 4 * one_microbatch_s, rel=1e-9)
    assert split.tensor_comm_s > plain_s  # 16 ranks on 8 heads also replicate (factor 2)
    full = estimate_training(llama, chip, tensor_ranks_per_chip=2, recompute="full", **kwargs)
    assert full.tensor_comm_s == pytest.approx(copied.tensor_comm_s, rel=1e-12)  # backward only: not recomputed


def test_bad_input_names_the_parameter():
    llama = load_model("llama3-8b")
    with pytest.raises(ChiplabInputError, match="tensor_ranks"):
        kv_replication_factor(llama, 12)
    with pytest.raises(ChiplabInputError, match="tokens"):
        kv_gradient_allreduce_s(llama, tensor=16, tensor_ranks_per_chip=2, tokens=0, num_layers=1,
                                calibration=IDEAL, network=RING)


@pytest.mark.parametrize(("overrides", "parameter"), [
    ({"num_layers": 33}, "num_layers"),      # Llama 3 8B has 32 layers; 10**400 overflowed to a raw OverflowError
    ({"tensor": 10**400}, "num_chips"),      # the all-reduce's group: overflowed num_chips / domain before
])
def test_oversized_input_names_the_parameter(overrides, parameter):
    args = dict(tensor=16, tensor_ranks_per_chip=2, tokens=8192, num_layers=32, calibration=IDEAL, network=RING)
    with pytest.raises(ChiplabInputError, match=parameter):
        kv_gradient_allreduce_s(load_model("llama3-8b"), **{**args, **overrides})
