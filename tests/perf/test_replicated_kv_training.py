"""The replicated K/V projections in a training estimate (chiplab.perf.training): the step computes with the K/V
weights that ``chiplab.workloads.params_per_chip`` counts, and the memory check and the data-parallel gradient sync
see them. Llama 3 8B shapes from Meta's config.json (32 layers, d 4096, 32 heads and 8 KV heads of 128); 32
tensor-parallel ranks on 16 chips as NxD Training's Llama 3 scripts run it (``--kv_replicator 4``).
"""

from chiplab.hardware.catalog import load_chip
from chiplab.perf import estimate_training
from chiplab.perf.training import shard
from chiplab.workloads import load_model, params_per_chip
from chiplab.workloads.footprint import Parallelism


def test_the_step_computes_with_the_kv_weights_the_memory_counts():
    # shard() already gives each chip the replicated K/V columns of the fused QKV GEMM; the weights agree
    llama, parallelism = load_model("llama3-8b"), Parallelism(tensor=16)
    part = shard(llama, parallelism, tensor_ranks_per_chip=2)
    qkv = next(op.gemm for op in part.training_step(batch=1, seq_len=128).gemm_ops if op.name == "qkv_proj")
    assert qkv.n == 4096 // 16 + 2 * 2 * 128  # its queries, then K and V of 2 heads
    even_qkv = llama.num_layers * llama.d_model * (llama.q_dim + 2 * llama.kv_dim) / 16
    extra = params_per_chip(llama, parallelism, 2) - llama.num_params / 16
    assert qkv.n * qkv.k * part.num_layers == even_qkv + extra


def test_estimate_training_passes_the_ranks_per_chip_to_the_memory_it_checks():
    llama, parallelism = load_model("llama3-8b"), Parallelism(tensor=16, data=2, zero_stage=1)
    estimate = estimate_training(llama, load_chip("trainium1"), parallelism=parallelism, global_batch=2,
                                 seq_len=1024, tensor_ranks_per_chip=2)
    assert estimate.memory.weights_bytes == params_per_chip(llama, parallelism, 2) * 2
