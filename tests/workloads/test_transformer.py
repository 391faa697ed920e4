"""Transformer op lists: FLOP counts equal the closed forms (each formula's source in a comment), backward = 2 ×
forward, decode GEMMs have m = batch, FlashAttention changes bytes but not FLOPs, bad configs give clear errors, and
building a 405B step is fast enough for a slider."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiplab.errors import ChiplabInputError
from chiplab.workloads import (
    Gemm,
    GemmOp,
    TransformerConfig,
    VectorOp,
    flops_per_token_inference,
    flops_per_token_training,
    kaplan_forward_flops_per_token,
    list_models,
    load_model,
    palm_forward_flops_per_token,
    palm_training_flops_per_token,
    six_n_d_flops,
)
from chiplab.workloads.ops import backward_ops

GPT_LIKE = TransformerConfig(num_layers=4, d_model=256, num_heads=8, d_ff=1024, vocab_size=1000, gated_mlp=False,
                             activation="gelu", norm="layernorm", position_embedding="learned", max_seq_len=512,
                             tied_embeddings=True, name="gpt-like")
GQA = TransformerConfig(num_layers=3, d_model=256, num_heads=8, num_kv_heads=2, d_ff=640, vocab_size=1000,
                        name="gqa")


def matmul_params_by_hand(c: TransformerConfig) -> int:
    """N of PaLM's 6N: every weight matrix in the layers plus the d × V output projection, written out."""
    attention = c.d_model * c.num_heads * c.head_dim * 2 + c.d_model * c.num_kv_heads * c.head_dim * 2
    mlp = (3 if c.gated_mlp else 2) * c.d_model * c.d_ff
    return c.num_layers * (attention + mlp) + c.vocab_size * c.d_model


@pytest.mark.parametrize("name", list_models())
def test_training_flops_per_token_equal_palm_formula(name):
    # PaLM (Chowdhery et al. 2022), Appendix B: model FLOPs per token = 6N + 12·L·H·Q·T (nanoGPT's estimate_mfu).
    c = load_model(name)
    seq_len = 2048
    expected = palm_training_flops_per_token(num_params=matmul_params_by_hand(c), num_layers=c.num_layers,
                                             num_heads=c.num_heads, head_dim=c.head_dim, seq_len=seq_len)
    assert flops_per_token_training(c, seq_len=seq_len) == expected


@pytest.mark.parametrize("name", list_models())
def test_decode_flops_per_token_equal_2n_plus_attention(name):
    # Inference: 2N per generated token plus attention over the cache, 4·L·H·Q·T (the forward third of PaLM's
    # App. B formula; T = context length).
    c = load_model(name)
    expected = palm_forward_flops_per_token(num_params=matmul_params_by_hand(c), num_layers=c.num_layers,
                                            num_heads=c.num_heads, head_dim=c.head_dim, context_len=1024)
    assert flops_per_token_inference(c, context_len=1024) == expected


def test_training_step_flops_equal_6nd_plus_attention():
    # Kaplan et al. 2020, Sec. 2.1: C ≈ 6·N·D for D tokens; the exact matmul count adds 12·L·H·Q·T per token.
    c, batch, seq = GQA, 3, 128
    step = c.training_step(batch=batch, seq_len=seq)
    tokens = batch * seq
    attention = 12 * c.num_layers * c.num_heads * c.head_dim * seq * tokens
    assert step.model_flops == six_n_d_flops(c.num_matmul_params, tokens) + attention


def test_forward_flops_match_kaplan_table_1():
    # Kaplan et al. 2020, Table 1: C_forward = 2N + 2·n_layer·n_ctx·d_attn with N = non-embedding parameters.
    # The exact count adds the de-embedding GEMM (2·d·V, Table 1's last row) and counts all T² attention pairs,
    # where Kaplan counts the causal half: + 2·n_layer·n_ctx·d_attn.
    c = dataclasses.replace(GPT_LIKE, bias=False)
    seq = 256
    step = c.forward_ops(batch=1, seq_len=seq)
    n_kaplan = c.num_layers * 2 * c.d_model * (2 * c.q_dim + c.d_ff)  # Kaplan's N = 2·d·L·(2·d_attn + d_ff)
    kaplan = kaplan_forward_flops_per_token(num_non_embedding_params=n_kaplan, num_layers=c.num_layers,
                                            seq_len=seq, d_attn=c.q_dim)
    full_square = 2 * c.num_layers * seq * c.q_dim
    assert step.model_flops_per_token == kaplan + 2 * c.d_model * c.vocab_size + full_square


def test_gpt3_training_compute_matches_published_total():
    # Brown et al. 2020, Table D.1: GPT-3 175B used 3.14e23 training FLOPs for 300B tokens (6ND, attention left
    # out). chiplab's exact count at T = 2048 adds 12·L·H·Q·T per token, about 3%.
    c = load_model("gpt3")
    total = flops_per_token_training(c, seq_len=2048) * 300e9
    assert total == pytest.approx(3.14e23, rel=0.05)
    assert six_n_d_flops(175e9, 300e9) == pytest.approx(3.14e23, rel=0.01)


def test_llama3_405b_training_compute_matches_published_total():
    # Llama 3 paper (arXiv:2407.21783), Sec. 1 / 3.2.1: 405B parameters, 15.6T tokens, 3.8e25 FLOPs (≈ 6ND).
    assert six_n_d_flops(405e9, 15.6e12) == pytest.approx(3.8e25, rel=0.01)
    # At 8K tokens the attention term adds ~8% to 6N (12·L·H·Q·T / 6N).
    per_token = flops_per_token_training(load_model("llama3-405b"), seq_len=8192)
    assert per_token * 15.6e12 == pytest.approx(3.8e25, rel=0.10)


def test_backward_gemms_cost_twice_forward_with_transposed_shapes():
    step = GQA.training_step(batch=2, seq_len=64, flash_attention=False)
    forward = {op.name: op for op in step.gemm_ops if op.stage == "forward"}
    for name, op in forward.items():
        grad_a, grad_b = (next(o for o in step.gemm_ops if o.name == f"{name}.{g}") for g in ("grad_a", "grad_b"))
        g = op.gemm
        assert (grad_a.gemm.m, grad_a.gemm.n, grad_a.gemm.k) == (g.m, g.k, g.n)   # dA = dC·Bᵀ
        assert (grad_b.gemm.m, grad_b.gemm.n, grad_b.gemm.k) == (g.k, g.n, g.m)   # dB = Aᵀ·dC
        assert grad_a.total_flops + grad_b.total_flops == 2 * op.total_flops
    by_stage = step.flops_by("stage")
    gemm_backward = sum(o.total_flops for o in step.gemm_ops if o.stage == "backward")
    assert gemm_backward == 2 * sum(o.total_flops for o in forward.values())
    assert set(by_stage) == {"forward", "backward", "optimizer"}


def test_weight_gradient_has_the_weight_shape():
    op = GemmOp(name="w", gemm=Gemm(m=6, n=5, k=4), phase="mlp", kind="weight")
    _, grad_b = backward_ops(op)
    assert (grad_b.gemm.m, grad_b.gemm.n) == (4, 5)   # B is k × n


def test_decode_weight_gemms_have_m_equal_batch_and_read_the_kv_cache():
    c, batch, context = GQA, 5, 300
    step = c.decode_step(batch=batch, context_len=context)
    assert step.num_tokens == batch
    for op in step.gemm_ops:
        if op.kind == "weight":
            assert op.gemm.m == batch, op.name
    scores = next(op for op in step.gemm_ops if op.name == "scores")
    values = next(op for op in step.gemm_ops if op.name == "attn_values")
    assert scores.gemm.m == c.group_size            # the query heads sharing one KV head, one new token each
    assert scores.gemm.n == values.gemm.k == context
    kv_read = sum(op.count * op.gemm.k * op.gemm.n * op.gemm.bytes_per_element for op in (scores, values))
    assert kv_read == c.kv_cache_bytes(batch=batch, context_len=context)


def test_kv_cache_bytes_formula_and_gqa_saving():
    # 2 (K and V) · layers · kv_heads · head_dim · seq · batch · bytes
    c = load_model("llama3-70b")
    assert c.kv_cache_bytes(batch=1, context_len=131072) == 2 * 80 * 8 * 128 * 131072 * 1 * 2
    mha = dataclasses.replace(c, num_kv_heads=c.num_heads)
    ratio = mha.kv_cache_bytes(batch=4, context_len=8192) / c.kv_cache_bytes(batch=4, context_len=8192)
    assert ratio == c.num_heads / c.num_kv_heads == 8
    assert c.kv_cache_bytes(batch=1, context_len=10, bytes_per_element=1) * 2 == c.kv_cache_bytes(
        batch=1, context_len=10)


def test_prefill_builds_the_cache_and_computes_last_logits_only():
    c = GQA
    step = c.prefill_step(batch=2, prompt_len=100)
    logits = next(op for op in step.gemm_ops if op.name == "logits")
    assert logits.gemm.m == 2
    write = next(op for op in step.vector_ops if op.name == "kv_cache_write")
    assert write.total_bytes // 2 == c.kv_cache_bytes(batch=2, context_len=100)


def test_flash_attention_changes_bytes_not_forward_flops():
    plain = GQA.forward_ops(batch=2, seq_len=128, flash_attention=False)
    flash = GQA.forward_ops(batch=2, seq_len=128, flash_attention=True)
    assert plain.model_flops == flash.model_flops and plain.total_flops == flash.total_flops
    assert flash.total_bytes < plain.total_bytes
    scores = 2 * 8 * 128 * 128 * 2 * GQA.num_layers   # batch · heads · T · T · bytes · layers
    assert plain.total_bytes - flash.total_bytes == 4 * scores  # S written+read, P written+read


def test_recomputation_adds_hardware_flops_only():
    c = GQA
    base = c.training_step(batch=1, seq_len=64, flash_attention=False)
    full = c.training_step(batch=1, seq_len=64, flash_attention=False, recompute="full")
    selective = c.training_step(batch=1, seq_len=64, flash_attention=False, recompute="selective")
    flash = c.training_step(batch=1, seq_len=64, flash_attention=True)
    assert base.model_flops == full.model_flops == selective.model_flops == flash.model_flops
    assert base.hardware_flops == base.model_flops
    layer_gemms = sum(op.total_flops for op in c.layer_ops(batch=1, seq_len=64) if isinstance(op, GemmOp))
    assert full.hardware_flops - full.model_flops == c.num_layers * layer_gemms
    assert base.model_flops < flash.hardware_flops < selective.hardware_flops < full.hardware_flops


def test_optimizer_reads_and_writes_mixed_precision_bytes():
    step = GQA.training_step(batch=1, seq_len=16)
    adam = next(op for op in step.vector_ops if op.stage == "optimizer")
    n = GQA.num_params
    assert adam.num_elements == n
    assert adam.read_bytes == n * (4 + 8 + 2) and adam.written_bytes == n * (4 + 8 + 2)


def test_identical_layers_share_ops():
    small = dataclasses.replace(GQA, num_layers=2).training_step(batch=1, seq_len=32)
    big = dataclasses.replace(GQA, num_layers=126).training_step(batch=1, seq_len=32)
    assert len(small.ops) == len(big.ops) < 60


def test_table_lists_every_op():
    step = GQA.decode_step(batch=1, context_len=8)
    table = step.table()
    assert table.count("\n") == len(step.ops) + 1
    assert "qkv_proj" in table and "kv_cache_write" in table


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"num_heads": 6}, ["num_heads (6)", "d_model (256)", "head_dim"]),
    ({"num_kv_heads": 3}, ["num_kv_heads (3)", "num_heads (8)"]),
    ({"num_layers": 0}, ["num_layers", ">= 1"]),
    ({"activation": "swish"}, ["activation", "silu"]),
    ({"norm": "batchnorm"}, ["norm", "rmsnorm"]),
    ({"dtype": "fp13"}, ["dtype"]),
    ({"gated_mlp": "yes"}, ["gated_mlp", "true or false"]),
])
def test_bad_configs_name_the_field(kwargs, words):
    base = {"num_layers": 2, "d_model": 256, "num_heads": 8, "d_ff": 512, "vocab_size": 100}
    with pytest.raises(ChiplabInputError) as err:
        TransformerConfig(**{**base, **kwargs})
    for word in words:
        assert word in str(err.value)


def test_bad_step_arguments():
    with pytest.raises(ChiplabInputError, match="max_seq_len"):
        GPT_LIKE.training_step(batch=1, seq_len=4096)
    with pytest.raises(ChiplabInputError, match="batch"):
        GQA.decode_step(batch=0, context_len=10)
    with pytest.raises(ChiplabInputError, match="kv_len"):
        GQA.layer_ops(batch=1, seq_len=10, kv_len=5)
    with pytest.raises(ChiplabInputError, match="recompute"):
        GQA.training_step(batch=1, seq_len=8, recompute="sometimes")
    with pytest.raises(ChiplabInputError, match="phase"):
        VectorOp(name="x", kind="norm", phase="decoder", num_elements=1, num_flops=1, read_bytes=1, written_bytes=1)


configs = st.builds(
    TransformerConfig,
    num_layers=st.integers(1, 8), d_model=st.sampled_from([64, 128, 192]), num_heads=st.sampled_from([1, 2, 4]),
    num_kv_heads=st.just(1), d_ff=st.integers(16, 512), vocab_size=st.integers(10, 5000),
    gated_mlp=st.booleans(), activation=st.sampled_from(["silu", "gelu", "relu"]),
    parallel_block=st.booleans(), position_embedding=st.sampled_from(["rope", "learned", "none"]),
    max_seq_len=st.just(1024))


@settings(max_examples=40, deadline=None)
@given(c=configs, batch=st.integers(1, 8), seq=st.integers(1, 256), k=st.integers(2, 4))
def test_flops_scale_linearly_in_batch(c, batch, seq, k):
    one = c.training_step(batch=batch, seq_len=seq)
    many = c.training_step(batch=k * batch, seq_len=seq)
    assert many.model_flops == k * one.model_flops
    assert many.vector_flops - many.ops[-1].total_flops == k * (one.vector_flops - one.ops[-1].total_flops)


@settings(max_examples=40, deadline=None)
@given(c=configs, seq=st.integers(1, 256), extra=st.integers(1, 6))
def test_layer_flops_scale_linearly_in_layers(c, seq, extra):
    deeper = dataclasses.replace(c, num_layers=c.num_layers + extra)
    per_layer = sum(op.total_flops for op in c.layer_ops(batch=1, seq_len=seq) if isinstance(op, GemmOp))
    assert deeper.forward_ops(batch=1, seq_len=seq).model_flops - c.forward_ops(batch=1, seq_len=seq).model_flops \
        == extra * per_layer


@settings(max_examples=40, deadline=None)
@given(c=configs, seq=st.integers(1, 255), context=st.integers(1, 1000))
def test_flops_grow_with_sequence_and_context(c, seq, context):
    assert flops_per_token_training(c, seq_len=seq + 1) > flops_per_token_training(c, seq_len=seq)
    assert c.decode_step(batch=1, context_len=min(context + 1, 1024)).total_flops >= \
        c.decode_step(batch=1, context_len=min(context, 1024)).total_flops
