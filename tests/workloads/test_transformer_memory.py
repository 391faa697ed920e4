"""Memory per chip: activations equal Korthikanti et al.'s formula for a GPT layer, mixed-precision Adam costs
16 bytes per parameter, sharding divides what it should, and nonsensical parallelism is refused."""

import dataclasses

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.workloads import (
    MIXED_PRECISION_ADAM,
    MemoryFootprint,
    Parallelism,
    TrainingPrecision,
    TransformerConfig,
    activation_bytes_per_layer,
    inference_memory,
    korthikanti_activation_bytes_per_layer,
    kv_sequence_shards,
    load_model,
    training_memory,
)

# Korthikanti et al. 2022 analyse a GPT layer: multi-head attention, d_ff = 4h, GELU, two LayerNorms, dropout.
GPT_LAYER = TransformerConfig(num_layers=24, d_model=1024, num_heads=16, d_ff=4096, vocab_size=50257,
                              gated_mlp=False, activation="gelu", norm="layernorm", bias=True,
                              position_embedding="learned", max_seq_len=2048, name="gpt-layer")


@pytest.mark.parametrize(("name", "value"), [
    ("tensor_parallel", 0),             # divided by zero before
    ("tensor_parallel", -1),            # gave negative bytes before
    ("tensor_parallel", float("nan")),  # gave nan before
    ("bytes_per_element", float("nan")),
    ("bytes_per_element", "x"),         # raw TypeError before
    ("flash_attention", "no"),          # a non-empty string read as True before
    ("sequence_parallel", None),
])
def test_activation_bytes_refuses_bad_settings_naming_them(name, value):
    with pytest.raises(ChiplabInputError, match=name):
        activation_bytes_per_layer(GPT_LAYER, batch=1, seq_len=128, **{name: value})


@pytest.mark.parametrize("name", ["seq_len", "batch"])
def test_activation_bytes_of_an_astronomical_size_are_refused(name):
    # 10**400 tokens or sequences overflowed the float division to a raw OverflowError
    args = {"batch": 1, "seq_len": 128, name: 10**400}
    with pytest.raises(ChiplabInputError, match=name):
        activation_bytes_per_layer(GPT_LAYER, **args)
    with pytest.raises(ChiplabInputError, match=name):
        korthikanti_activation_bytes_per_layer(d_model=1024, num_heads=16, **args)


@pytest.mark.parametrize("recompute", ["none", "selective", "full"])
@pytest.mark.parametrize("tensor_parallel", [1, 2, 8])
@pytest.mark.parametrize("sequence_parallel", [False, True])
def test_activations_equal_korthikanti_table_2(recompute, tensor_parallel, sequence_parallel):
    # Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models", Table 2:
    # sbh(34 + 5as/h) per layer, sbh(10 + 24/t + 5as/(ht)) with TP, sbh(34/t + 5as/(ht)) with TP + SP, ...
    kwargs = {"batch": 4, "seq_len": 2048, "recompute": recompute, "tensor_parallel": tensor_parallel,
              "sequence_parallel": sequence_parallel}
    ours = activation_bytes_per_layer(GPT_LAYER, flash_attention=False, dropout=True, **kwargs)
    theirs = korthikanti_activation_bytes_per_layer(d_model=1024, num_heads=16, **kwargs)
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_korthikanti_no_parallelism_closed_form():
    s, b, h, a = 2048, 1, 12288, 96   # GPT-3 175B shapes
    assert korthikanti_activation_bytes_per_layer(seq_len=s, batch=b, d_model=h, num_heads=a) == \
        s * b * h * (34 + 5 * a * s / h)


def test_flash_attention_removes_the_quadratic_term():
    c = load_model("llama3-8b")
    short = activation_bytes_per_layer(c, batch=1, seq_len=1024, flash_attention=True)
    long = activation_bytes_per_layer(c, batch=1, seq_len=8192, flash_attention=True)
    assert long == pytest.approx(8 * short)                   # linear in s
    plain = activation_bytes_per_layer(c, batch=1, seq_len=8192, flash_attention=False)
    assert plain - long > 32 * 8192 * 8192 * 2 * 0.99         # the a·s² softmax output, 2 bytes each


def test_recomputation_and_tensor_parallelism_shrink_activations_pipeline_does_not():
    c = load_model("llama3-70b")
    common = {"batch": 1, "seq_len": 8192}
    acts = {mode: training_memory(c, recompute=mode, flash_attention=False, **common).activations_bytes
            for mode in ("none", "selective", "full")}
    assert acts["full"] < acts["selective"] < acts["none"]
    tp8 = training_memory(c, parallelism=Parallelism(tensor=8), **common).activations_bytes
    pp4 = training_memory(c, parallelism=Parallelism(pipeline=4), **common).activations_bytes
    base = training_memory(c, **common).activations_bytes
    assert tp8 == pytest.approx(base / 8)
    assert pp4 == base   # 1F1B: the first stage holds p micro-batches of L/p layers (Korthikanti Sec. 4.2.3)


def test_mixed_precision_adam_is_16_bytes_per_param():
    # ZeRO (Rajbhandari et al. 2020), Sec. 3.1: 2Ψ (fp16 weights) + 2Ψ (fp16 grads) + 12Ψ (fp32 master, m, v).
    assert MIXED_PRECISION_ADAM.total_bytes_per_param == 16
    assert MIXED_PRECISION_ADAM.optimizer_bytes_per_param == 12
    c = load_model("llama3-8b")
    m = training_memory(c, batch=1, seq_len=1024)
    assert m.weights_bytes + m.gradients_bytes + m.optimizer_state_bytes == 16 * c.num_params
    assert m.kv_cache_bytes == 0
    assert m.total_bytes == pytest.approx(16 * c.num_params + m.activations_bytes)


@pytest.mark.parametrize(("stage", "divided"), [
    (0, set()), (1, {"optimizer_state_bytes"}), (2, {"optimizer_state_bytes", "gradients_bytes"}),
    (3, {"optimizer_state_bytes", "gradients_bytes", "weights_bytes"})])
def test_zero_stages_shard_over_data_parallel(stage, divided):
    c = load_model("llama3-8b")
    base = training_memory(c, batch=1, seq_len=512, parallelism=Parallelism(data=8))
    zero = training_memory(c, batch=1, seq_len=512, parallelism=Parallelism(data=8, zero_stage=stage))
    for field in ("weights_bytes", "gradients_bytes", "optimizer_state_bytes"):
        expected = getattr(base, field) / (8 if field in divided else 1)
        assert getattr(zero, field) == pytest.approx(expected)


def test_model_parallelism_divides_parameters():
    c = load_model("llama3-405b")
    one = training_memory(c, batch=1, seq_len=8192)
    split = training_memory(c, batch=1, seq_len=8192, parallelism=Parallelism(tensor=8, pipeline=16))
    assert split.weights_bytes == pytest.approx(one.weights_bytes / 128)
    # Llama 3 405B weights alone in bf16: ~812 GB, more than any one chip's HBM.
    assert one.weights_bytes == pytest.approx(2 * 405.85e9, rel=1e-3)


def test_inference_memory_weights_and_kv_cache():
    c = load_model("llama3-70b")
    m = inference_memory(c, batch=8, context_len=8192)
    assert m.weights_bytes == 2 * c.num_params
    assert m.kv_cache_bytes == c.kv_cache_bytes(batch=8, context_len=8192)
    assert m.gradients_bytes == m.optimizer_state_bytes == 0
    int8 = inference_memory(c, batch=8, context_len=8192, weight_bytes_per_param=1, kv_bytes_per_element=1)
    assert int8.weights_bytes == m.weights_bytes / 2 and int8.kv_cache_bytes == m.kv_cache_bytes / 2
    # KV heads split over tensor parallelism up to t = KV, then replicate.
    tp8 = inference_memory(c, batch=8, context_len=8192, parallelism=Parallelism(tensor=8))
    tp16 = inference_memory(c, batch=8, context_len=8192, parallelism=Parallelism(tensor=16))
    assert tp8.kv_cache_bytes == tp16.kv_cache_bytes == m.kv_cache_bytes / 8
    assert tp8.weights_bytes == m.weights_bytes / 8
    # ... and so do their K/V projections (vLLM num_kv_head_replicas): 1 head a chip, not 0.5 — 80 layers × 0.5 ×
    # (K and V: 2 × 128 × 8192) = 83,886,080 more bf16 parameters
    assert tp16.weights_bytes == m.weights_bytes / 16 + 2 * 83_886_080


def test_gqa_shrinks_the_kv_cache_in_the_footprint():
    c = load_model("llama3-8b")
    mha = dataclasses.replace(c, num_kv_heads=c.num_heads)
    gqa_kv = inference_memory(c, batch=1, context_len=4096).kv_cache_bytes
    assert inference_memory(mha, batch=1, context_len=4096).kv_cache_bytes == 4 * gqa_kv


@pytest.mark.parametrize(("model", "parallelism", "words"), [
    ("llama3-8b", Parallelism(tensor=3), ["tensor parallelism 3", "num_heads (32)"]),
    ("llama3.2-3b", Parallelism(tensor=16), ["tensor parallelism 16", "num_heads (24)"]),
    ("palm", Parallelism(tensor=5), ["tensor parallelism 5", "num_heads (48)"]),
    ("llama3-8b", Parallelism(pipeline=40), ["pipeline parallelism 40", "num_layers (32)"]),
])
def test_nonsensical_parallelism_is_refused(model, parallelism, words):
    with pytest.raises(ChiplabInputError) as err:
        training_memory(load_model(model), batch=1, seq_len=128, parallelism=parallelism)
    for word in words:
        assert word in str(err.value)


def test_bad_parallelism_and_precision_values():
    with pytest.raises(ChiplabInputError, match="zero_stage"):
        Parallelism(zero_stage=4)
    with pytest.raises(ChiplabInputError, match="tensor"):
        Parallelism(tensor=0)
    with pytest.raises(ChiplabInputError, match="gradient_bytes_per_param"):
        TrainingPrecision(gradient_bytes_per_param=-1)


def test_footprint_table_has_every_part_and_the_total():
    m = MemoryFootprint(weights_bytes=2**30, gradients_bytes=0, optimizer_state_bytes=0, activations_bytes=2**30,
                        kv_cache_bytes=0)
    table = m.table()
    assert "kv cache" in table and "total" in table and "2 GiB" in table


@pytest.mark.parametrize(("tensor_parallel", "kv_sharding", "expected"), [
    (4, "sequence", 1), (8, "sequence", 1), (32, "sequence", 4), (32, "replicate", 1), (1, "replicate", 1)])
def test_kv_positions_split_only_over_the_ranks_beyond_the_kv_heads(tensor_parallel, kv_sharding, expected):
    # Llama 3 8B has 8 key/value heads (Meta's config.json, num_key_value_heads = 8): 32 ranks share each head
    # four ways, and "sequence" splits its positions into those 4 parts; up to 8 ranks each own whole heads.
    assert load_model("llama3-8b").num_kv_heads == 8
    assert kv_sequence_shards(load_model("llama3-8b"), tensor_parallel, kv_sharding) == expected


def test_an_unknown_kv_sharding_is_refused_by_name():
    with pytest.raises(ChiplabInputError, match="kv_sharding must be one of replicate, sequence"):
        kv_sequence_shards(load_model("llama3-8b"), 16, "pages")
