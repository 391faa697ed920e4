"""Where the FLOPs go, the 6N rule of thumb and GEMM intensity (chiplab.workloads.describe).

Expected values are worked by hand in the comments, or are closed forms from the papers the module cites:
PaLM's 6N + 12·L·H·Q·T (Chowdhery et al. 2022, App. B) and 2·m·n·k ÷ (bytes × (mk + kn + mn)).
"""

import math

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.workloads import Gemm, TransformerConfig, decode_step, load_model, prefill_step, training_step
from chiplab.workloads.describe import (
    ATTENTION_PROJECTIONS,
    ATTENTION_SCORE_GEMMS,
    ATTENTION_SCORES,
    CATEGORIES,
    LOGITS,
    MLP,
    NON_MATMUL,
    arithmetic_intensity_flops_per_byte,
    compare_six_n,
    flops_breakdown,
    flops_breakdown_table,
    intensity_sweep,
    palm_check,
    tokens_to_reach,
)
from chiplab.workloads.ops import GemmOp

TINY = TransformerConfig(num_layers=2, d_model=64, num_heads=4, d_ff=256, vocab_size=1000, gated_mlp=False,
                         activation="relu", tied_embeddings=True, name="tiny")
LLAMA_8B = load_model("llama3-8b")


def test_breakdown_of_a_tiny_model_by_hand():
    """2 layers, d = 64, f = 256, V = 1000, T = 8, one sequence; per layer forward, in FLOPs (2 per MAC):
    QKV 2·8·64·192 = 196,608 and O 2·8·64·64 = 65,536; scores 2·8·8·16 and P·V 2·8·16·8 per head, 4 heads =
    16,384; MLP up + down 2 · 2·8·64·256 = 524,288; logits 2·8·64·1000 = 1,024,000 once. Training = 3 × forward."""
    breakdown = flops_breakdown(training_step(TINY, batch=1, seq_len=8))
    assert breakdown.flops_of(ATTENTION_PROJECTIONS) == 3 * 2 * (196_608 + 65_536)
    assert breakdown.flops_of(ATTENTION_SCORES) == 3 * 2 * 16_384
    assert breakdown.flops_of(MLP) == 3 * 2 * 524_288
    assert breakdown.flops_of(LOGITS) == 3 * 1_024_000
    assert breakdown.num_tokens == 8


@pytest.mark.parametrize("make_step", [
    lambda: training_step(LLAMA_8B, batch=2, seq_len=2048, recompute="full"),
    lambda: prefill_step(LLAMA_8B, batch=4, prompt_len=1024),
    lambda: decode_step(LLAMA_8B, batch=8, context_len=4096),
])
def test_matmul_categories_add_up_to_the_model_flops(make_step):
    step = make_step()
    breakdown = flops_breakdown(step)
    assert breakdown.total_flops - breakdown.flops_of(NON_MATMUL) == step.model_flops
    assert [name for name, _ in breakdown.flops] == list(CATEGORIES)
    assert sum(breakdown.fraction(c) for c in CATEGORIES) == pytest.approx(1.0)
    with_recompute = flops_breakdown(step, include_recompute=True)
    assert with_recompute.total_flops == step.total_flops


def test_recompute_is_left_out_unless_asked():
    step = training_step(LLAMA_8B, batch=1, seq_len=2048, recompute="full")
    assert flops_breakdown(step, include_recompute=True).total_flops > flops_breakdown(step).total_flops


def test_mlp_dominates_training_and_nearly_everything_is_a_matmul():
    breakdown = flops_breakdown(training_step(LLAMA_8B, batch=1, seq_len=8192))
    assert breakdown.fraction(MLP) > 0.5
    assert breakdown.matmul_fraction > 0.99


def test_breakdown_table_lists_every_category_and_the_total():
    table = flops_breakdown_table(training_step(TINY, batch=1, seq_len=8))
    assert all(category in table for category in CATEGORIES)
    assert table.splitlines()[-1].startswith("| total") and "100%" in table.splitlines()[-1]


def test_unknown_category_names_the_choices():
    with pytest.raises(ChiplabInputError, match="category must be one of"):
        flops_breakdown(training_step(TINY, batch=1, seq_len=8)).fraction("embeddings")


@pytest.mark.parametrize("make_step", [
    lambda: training_step(LLAMA_8B, batch=1, seq_len=512, recompute="full"),
    lambda: decode_step(load_model("gpt3"), batch=2, context_len=128),
])
def test_score_gemm_names_are_the_activation_gemms(make_step):
    """Results that keep an op's name but not its kind (OpEstimate) find the score GEMMs by these names."""
    for op in make_step().ops:
        if isinstance(op, GemmOp):
            assert (op.kind == "activation") == (op.name.split(".")[0] in ATTENTION_SCORE_GEMMS), op.name


# --- 6N ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["llama32_3b", "llama3_8b", "llama3_70b", "gpt3_175b", "palm_540b"])
def test_count_equals_palm_formula(name):
    """Chowdhery et al. 2022, App. B: 6N + 12·L·H·Q·T, N the matmul weights, all T² attention pairs."""
    counted, palm = palm_check(load_model(name), 2048)
    assert counted == pytest.approx(palm, rel=1e-12)


def test_six_n_breaks_for_small_models_at_long_sequences():
    comparison = compare_six_n([load_model("llama3.2-3b"), load_model("llama3-405b")], [2048, 131072])
    small_short = comparison.row("Llama 3.2 3B", 2048)
    small_long = comparison.row("Llama 3.2 3B", 131072)
    big_long = comparison.row("Llama 3 405B", 131072)
    assert small_short.counted_over_six_n < 1.2
    assert small_long.counted_over_six_n > 5  # attention scores dwarf the weights
    assert big_long.counted_over_six_n < small_long.counted_over_six_n
    assert small_long.six_n_error_fraction < -0.8
    # The attention part is exactly 12·L·H·Q·T per token.
    config = load_model("llama3.2-3b")
    expected = 12 * config.num_layers * config.num_heads * config.head_dim * 131072
    assert small_long.attention_flops_per_token == pytest.approx(expected, rel=1e-9)


def test_sequences_beyond_the_context_window_are_counted_as_a_what_if():
    gpt3 = load_model("gpt3")  # max_seq_len 2048
    row = compare_six_n([gpt3], [8192]).rows[0]
    assert row.seq_len == 8192 and row.counted_over_six_n > compare_six_n([gpt3], [2048]).rows[0].counted_over_six_n


def test_comparison_table_and_errors():
    comparison = compare_six_n([TINY], [8, 16])
    assert comparison.to_markdown().count("\n") == 1 + 2
    with pytest.raises(ChiplabInputError, match="seq_len 32 was not compared"):
        comparison.row("tiny", 32)
    with pytest.raises(ChiplabInputError, match="model_name must be one of"):
        comparison.rows_of("other")
    with pytest.raises(ChiplabInputError, match="TransformerConfigs"):
        compare_six_n(["llama3-8b"], [8])
    with pytest.raises(ChiplabInputError, match="seq_len must be a whole number"):
        compare_six_n([TINY], [0])


# --- arithmetic intensity ---------------------------------------------------------------------------------------

def test_intensity_by_hand():
    # Square bf16 GEMM, n = 3: 2·27 FLOPs over 2 bytes × 27 elements = 1 FLOP per byte (= n / 3 in general).
    assert arithmetic_intensity_flops_per_byte(Gemm(m=3, n=3, k=3)) == pytest.approx(1.0)
    assert arithmetic_intensity_flops_per_byte(Gemm(m=1024, n=1024, k=1024)) == pytest.approx(1024 / 3)
    # fp8 halves the bytes and doubles the intensity.
    assert arithmetic_intensity_flops_per_byte(Gemm(m=1024, n=1024, k=1024, dtype="fp8")) == pytest.approx(2048 / 3)


@pytest.mark.parametrize(("target", "n", "k", "dtype"), [(300.0, 4096, 4096, "bf16"), (241.0, 28672, 4096, "bf16"),
                                                          (560.0, 8192, 8192, "bf16"), (20.0, 64, 64, "fp8")])
def test_tokens_to_reach_is_the_first_m_that_reaches_the_target(target, n, k, dtype):
    m = tokens_to_reach(target, n=n, k=k, dtype=dtype)
    assert arithmetic_intensity_flops_per_byte(Gemm(m=m, n=n, k=k, dtype=dtype)) >= target * (1 - 1e-12)
    if m > 1:
        assert arithmetic_intensity_flops_per_byte(Gemm(m=m - 1, n=n, k=k, dtype=dtype)) < target


def test_tokens_to_reach_is_none_when_the_weights_are_too_small():
    # 64 × 64 bf16 weights: the intensity never exceeds 2·64·64 / (2·128) = 32 FLOP/B.
    assert tokens_to_reach(40.0, n=64, k=64) is None
    with pytest.raises(ChiplabInputError, match="intensity_flops_per_byte must be > 0"):
        tokens_to_reach(0.0, n=64, k=64)
    with pytest.raises(ChiplabInputError, match="dtype must be one of"):
        tokens_to_reach(1.0, n=64, k=64, dtype="bf17")


def test_intensity_sweep_places_each_chips_ridge():
    sweep = intensity_sweep(n=28672, k=4096, num_tokens=[1, 64, 4096], chips=["tpu_v5e", "h100_sxm"], label="MLP")
    assert sweep.num_tokens == (1, 64, 4096) and sweep.intensity_flops_per_byte[0] == pytest.approx(1.0, rel=1e-3)
    assert list(sweep.intensity_flops_per_byte) == sorted(sweep.intensity_flops_per_byte)
    h100 = sweep.ridge("h100_sxm")
    assert h100.memory_label == "HBM" and h100.tokens_needed == tokens_to_reach(h100.ridge_flops_per_byte, n=28672,
                                                                                  k=4096)
    assert math.isclose(sweep.ridge(h100.chip_name).ridge_flops_per_byte, h100.ridge_flops_per_byte)
    assert sweep.to_markdown().count("\n") == 1 + 2
    with pytest.raises(ChiplabInputError, match="chip must be one of"):
        sweep.ridge("tpu_v1")
    with pytest.raises(ChiplabInputError, match="num_tokens must list"):
        intensity_sweep(n=8, k=8, num_tokens=[])


def test_intensity_counts_each_operand_at_its_width():
    """Gemm.unique_bytes is the one home of operand widths. By hand: a W4A16 decode GEMM (m=1, 4096×4096 int4
    weights): 2·4096² FLOPs over A 4096·2 + B 4096²/2 + C 4096·2 = 8,404,992 bytes; an fp8 GEMM writing bf16
    (Gemm's own docstring example): 48 FLOPs over A 8 + B 12 + C 6·2 = 32 bytes."""
    w4a16 = Gemm(m=1, n=4096, k=4096, weight_dtype="int4")
    assert arithmetic_intensity_flops_per_byte(w4a16) == pytest.approx(2 * 4096**2 / 8_404_992)
    assert arithmetic_intensity_flops_per_byte(Gemm(m=2, n=3, k=4, dtype="fp8", output_dtype="bf16")) == 48 / 32
