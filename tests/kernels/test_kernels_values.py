"""Values: every worked kernel equals numpy on random shapes, for every dtype the tile language allows.

The reference rounds the inputs to the kernel's dtype exactly as the HBM tensor does (bf16/fp16 keep only their
significand bits) and then computes in float32/float64 with numpy, which no one here wrote. Tolerances are fp32
accumulation-order differences, scaled by the size of the contraction.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chiplab.kernels import (
    ATTENTION_VARIANTS,
    FUSED_VARIANTS,
    MATMUL_VARIANTS,
    ROWWISE_VARIANTS,
    TILE_DTYPE_BYTES,
    Kernel,
    pallas_matmul,
    round_to_dtype,
    run_attention,
    run_dense,
    run_layer_norm,
    run_matmul,
    run_softmax,
)

DTYPES = sorted(TILE_DTYPE_BYTES)
SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _rng(seed):
    return np.random.default_rng(seed)


def _close(actual, expected, depth):
    scale = np.abs(expected).max() + 1.0
    np.testing.assert_allclose(actual, expected, rtol=0, atol=scale * depth * 2e-6)


@SETTINGS
@given(m_tiles=st.integers(1, 3), n_tiles=st.integers(1, 2), k_tiles=st.integers(1, 3),
       dtype=st.sampled_from(DTYPES), variant=st.sampled_from(MATMUL_VARIANTS), seed=st.integers(0, 99))
def test_matmul_equals_numpy(m_tiles, n_tiles, k_tiles, dtype, variant, seed):
    # Trainium2 instruction tiles: 128 partitions (k), 128 stationary columns (m), 512 moving columns (n).
    m, n, k = 128 * m_tiles, 512 * n_tiles, 128 * k_tiles
    a, b = _rng(seed).standard_normal((m, k)), _rng(seed + 1).standard_normal((k, n))
    run = run_matmul("trn2", a, b, dtype=dtype, variant=variant)
    expected = round_to_dtype(a, dtype).astype(np.float64) @ round_to_dtype(b, dtype).astype(np.float64)
    _close(run.outputs["c"], expected, k)


@pytest.mark.parametrize("chip", ["toy_4x4", "toy_dual", "tpu_v5e", "trainium1"])
def test_matmul_on_other_cores_equals_numpy(chip):
    a, b = _rng(3).standard_normal((16, 8)), _rng(4).standard_normal((8, 16))
    if chip.startswith("tpu") or chip == "trainium1":
        a, b = _rng(3).standard_normal((256, 256)), _rng(4).standard_normal((256, 512))
    run = run_matmul(chip, a, b, dtype="bf16", variant="naive")
    _close(run.outputs["c"], round_to_dtype(a, "bf16") @ round_to_dtype(b, "bf16"), a.shape[1])


@SETTINGS
@given(rows=st.sampled_from([128, 256]), cols=st.integers(1, 300), dtype=st.sampled_from(DTYPES),
       variant=st.sampled_from(ROWWISE_VARIANTS), seed=st.integers(0, 99))
def test_softmax_and_layer_norm_equal_numpy(rows, cols, dtype, variant, seed):
    x = round_to_dtype(_rng(seed).standard_normal((rows, cols)) * 3, dtype).astype(np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    _close(run_softmax("trn2", x, dtype=dtype, variant=variant).outputs["y"], e / e.sum(axis=1, keepdims=True), 4)
    normed = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    _close(run_layer_norm("trn2", x, dtype=dtype, variant=variant).outputs["y"], normed, 4 * cols)


@pytest.mark.parametrize("variant", FUSED_VARIANTS)
@pytest.mark.parametrize("activation", ["relu", "gelu", "silu", "tanh"])
def test_dense_equals_numpy(variant, activation):
    x, w, bias = _rng(5).standard_normal((512, 256)), _rng(6).standard_normal((256, 256)) / 16, _rng(7).random(256)
    pre = round_to_dtype(x, "bf16") @ round_to_dtype(w, "bf16") + bias
    expected = {"relu": np.maximum(pre, 0), "tanh": np.tanh(pre), "silu": pre / (1 + np.exp(-pre)),
                "gelu": 0.5 * pre * (1 + np.tanh(np.sqrt(2 / np.pi) * (pre + 0.044715 * pre**3)))}[activation]
    run = run_dense("trn2", x, w, bias, activation=activation, variant=variant)
    _close(run.outputs["y_t"].T, expected, 256)


@pytest.mark.parametrize("variant", ATTENTION_VARIANTS)
@pytest.mark.parametrize(("seq", "d"), [(512, 64), (1024, 128)])
def test_attention_equals_numpy(variant, seq, d):
    q, k, v = (round_to_dtype(_rng(s).standard_normal((seq, d)), "bf16").astype(np.float64) for s in (8, 9, 10))
    scores = q @ k.T / np.sqrt(d)
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    expected = (p / p.sum(axis=1, keepdims=True)) @ v
    run = run_attention("trn2", q, k, v, variant=variant)
    # P is rounded to bf16 before P·V (as on the chip), so the tolerance is bf16's 2^-8 relative step.
    np.testing.assert_allclose(run.outputs["o"], expected, atol=np.abs(expected).max() * 2**-7)


@pytest.mark.parametrize("chip", ["tpu_v4", "tpu_v5e", "tpu_v5p", "tpu_v6e"])
def test_pallas_matmul_equals_numpy(chip):
    x, y = _rng(11).standard_normal((512, 256)), _rng(12).standard_normal((256, 384))
    run = pallas_matmul(chip, x, y, block=(256, 128, 128))
    _close(run.outputs["out"], round_to_dtype(x, "bf16") @ round_to_dtype(y, "bf16"), 256)


def test_tile_dtype_sizes_come_from_the_one_dtype_table():
    from chiplab.units import FORMAT_BITS

    from_table = {dtype: FORMAT_BITS[dtype] // 8 for dtype in TILE_DTYPE_BYTES}
    # numpy's own element sizes; bf16 is the top 16 bits of an IEEE fp32 (Google's bfloat16 definition)
    from_numpy = {"fp32": np.dtype(np.float32).itemsize, "fp16": np.dtype(np.float16).itemsize,
                  "bf16": np.dtype(np.float32).itemsize // 2}
    assert from_table == from_numpy == TILE_DTYPE_BYTES


def test_bf16_rounding_is_round_to_nearest_even():
    # bf16 keeps 8 significand bits: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 and rounds to the even one (1);
    # 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6 and rounds to the even one (1 + 2^-6).
    values = np.array([1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-7], dtype=np.float32)
    np.testing.assert_array_equal(round_to_dtype(values, "bf16"), [1.0, 1 + 2**-6, 1 + 2**-7])


def test_time_only_mode_gives_the_same_time():
    a, b = _rng(1).standard_normal((256, 128)), _rng(2).standard_normal((128, 1024))
    with_values = run_matmul("trn2", a, b, variant="tiled")
    time_only = run_matmul("trn2", shape=(256, 1024, 128), variant="tiled", values=False)
    assert time_only.total_s == with_values.total_s
    assert time_only.outputs["c"] is None


def test_reused_and_rewritten_operands_give_numpys_values():
    """Output tiles share concatenated operands (cached per kernel) and loads borrow their source: reloading a
    strip whole, rewriting part of it, or storing into an fp32 input must never let a later matmul, or the
    caller's array, see stale or changed numbers. Expected: numpy products of the same (bf16-rounded) inputs."""
    rng = _rng(7)
    a1, a2 = rng.standard_normal((256, 128)), rng.standard_normal((256, 128))   # Aᵀ strips: K = 256, M = 128
    b1, b2 = rng.standard_normal((256, 64)), rng.standard_normal((256, 64))
    k = Kernel("trn2")
    ins = {name: k.hbm(name, value) for name, value in (("a1", a1), ("a2", a2), ("b1", b1), ("b2", b2))}
    c = k.hbm_output("c", (3 * 128, 64))
    a_tiles = [k.tile((128, 128), name=f"a{i}") for i in range(2)]
    b_tiles = [k.tile((128, 64), name=f"b{i}") for i in range(2)]
    acc, out = k.psum((128, 64)), k.tile((128, 64), "fp32", name="out")

    def product(a_name, b_name, step):
        for kk in range(2):
            k.load(a_tiles[kk], ins[a_name][kk * 128:(kk + 1) * 128, :])
            k.load(b_tiles[kk], ins[b_name][kk * 128:(kk + 1) * 128, :])
        for kk in range(2):
            k.matmul(acc, a_tiles[kk], b_tiles[kk], accumulate=kk > 0)
        k.copy(out, acc)
        k.store(c[step * 128:(step + 1) * 128, :], out)

    product("a1", "b1", 0)
    product("a2", "b1", 1)                                           # b strips reloaded with the same numbers
    k.load(b_tiles[0][0:64, :], ins["b2"][0:64, :])                  # part of a cached strip rewritten
    for kk in range(2):
        k.matmul(acc, a_tiles[kk], b_tiles[kk], accumulate=kk > 0)
    k.copy(out, acc)
    k.store(c[256:384, :], out)
    run = k.finish()
    bf = [round_to_dtype(np.asarray(x, dtype=np.float32), "bf16").astype(np.float64) for x in (a1, a2, b1, b2)]
    mixed = bf[3][0:64].copy(), bf[2][64:]
    expected = [bf[0].T @ bf[2], bf[1].T @ bf[2], bf[1].T @ np.vstack(mixed)]
    for got, want in zip(np.split(run.outputs["c"], 3), expected, strict=True):
        _close(got, want, 256)
