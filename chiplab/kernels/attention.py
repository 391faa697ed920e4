"""Worked kernel: one attention head, O = softmax(Q Kᵀ / sqrt(d)) V, computed tile by tile.

* ``"flash"`` (FlashAttention-style, Dao et al. 2022, Algorithm 1): for each block of queries, walk over blocks of
  keys keeping a running row maximum m, running sum l and unnormalised output; each new block rescales the old
  ones by exp(m_old − m_new) ("online softmax"). The S × S score matrix never leaves the chip.
* ``"unfused"``: three passes as three library calls would do them: scores S = Q Kᵀ written to HBM; softmax
  rows read, normalised and written back as P; then P V. HBM traffic grows with S², and each pass waits on HBM.

Layouts: the matrix unit contracts over partitions, so Qᵀ and Kᵀ (d × S) come from HBM, and P is transposed on
chip (one transpose per 128 keys) before P V.
"""

from __future__ import annotations

import math

import numpy as np

from chiplab._checks import one_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware import Chip
from chiplab.kernels._ops import check_instruction_budget
from chiplab.kernels.inputs import checked_inputs
from chiplab.kernels.language import Kernel
from chiplab.kernels.matmul import instruction_tile
from chiplab.kernels.params import core_params
from chiplab.kernels.result import KernelRun
from chiplab.kernels.tiles import Tensor, Tile

ATTENTION_VARIANTS = ("unfused", "flash")
# A running maximum starts here instead of -inf (fill refuses non-finite values); any real score is larger.
NEGATIVE_START = -3.0e38


def run_attention(chip: str | Chip, q: np.ndarray | None = None, k: np.ndarray | None = None,
                  v: np.ndarray | None = None, *, shape: tuple[int, int] | None = None, dtype: str = "bf16",
                  variant: str = "flash", values: bool = True) -> KernelRun:
    """O = softmax(q kᵀ / sqrt(d)) v for q, k, v of shape (seq, d); ``run.outputs["o"]`` (fp32)."""
    variant = one_of("variant", variant, ATTENTION_VARIANTS)
    params = core_params(chip)
    kernel = Kernel(params, values=values, name=f"attention ({variant})")
    arrays, given_shape = checked_inputs("run_attention", {"q": q, "k": k, "v": v}, values=values, shape=shape,
                                         shape_text="(seq, d)")
    if values:
        q_values, k_values, v_values = arrays["q"], arrays["k"], arrays["v"]
        if q_values.shape != k_values.shape or q_values.shape != v_values.shape:
            raise ChiplabInputError(f"run_attention: q, k, v must share one (seq, d) shape; got {q_values.shape}, "
                                    f"{k_values.shape}, {v_values.shape}")
        q_t = kernel.hbm("q_t", np.ascontiguousarray(q_values.T), dtype=dtype)
        k_t = kernel.hbm("k_t", np.ascontiguousarray(k_values.T), dtype=dtype)
        v_in = kernel.hbm("v", v_values, dtype=dtype)
    else:
        seq, d = given_shape
        q_t = kernel.hbm("q_t", shape=(d, seq), dtype=dtype)
        k_t = kernel.hbm("k_t", shape=(d, seq), dtype=dtype)
        v_in = kernel.hbm("v", shape=(seq, d), dtype=dtype)
    d, seq = q_t.shape
    tile_k, q_block, key_block = instruction_tile(params)
    key_chunk = tile_k           # keys per P·V matmul: the contraction runs over partitions
    key_block = min(key_block, seq)
    if d > tile_k or seq % q_block or seq % key_block or key_block % key_chunk:
        raise ChiplabInputError(f"run_attention: need d <= {tile_k}, seq a multiple of {q_block} and of "
                                f"{key_block}; got seq = {seq}, d = {d}")
    # About twenty instructions per (query block, key block) pair, plus two per 128 keys for P·V.
    check_instruction_budget((seq // q_block) * (seq // key_block) * (20 + 2 * key_block // key_chunk),
                             f"run_attention with seq = {seq}")
    o = kernel.hbm_output("o", (seq, d), "fp32")
    body = _flash if variant == "flash" else _unfused
    body(kernel, q_t, k_t, v_in, o, dtype, q_block, key_block, key_chunk, 1.0 / math.sqrt(d))
    return kernel.finish()


def _pv(kernel: Kernel, pv_acc: Tile, p_tile: Tile, p_t: list[Tile], v_tiles: list[Tile], key_block: int,
        key_chunk: int, k0: int = 0) -> None:
    """pv_acc = p @ v over one key block: transpose p chunk by chunk, then accumulate matmuls."""
    for c in range(key_block // key_chunk):
        kernel.transpose(p_t[c % 2], p_tile[:, c * key_chunk:(c + 1) * key_chunk])
        kernel.matmul(pv_acc, p_t[c % 2], v_tiles[(k0 + c * key_chunk) // key_chunk % len(v_tiles)],
                      accumulate=c > 0)


def _flash(kernel: Kernel, q_t: Tensor, k_t: Tensor, v_in: Tensor, o: Tensor, dtype: str, q_block: int,
           key_block: int, key_chunk: int, scale: float) -> None:
    d, seq = q_t.shape
    num_chunks = key_block // key_chunk
    q_tile = kernel.tile((d, q_block), dtype, name="q_t")
    k_tiles = [kernel.tile((d, key_block), dtype, name=f"k_t {b}") for b in range(2)]
    v_tiles = [kernel.tile((key_chunk, d), dtype, name=f"v {c}") for c in range(2 * num_chunks)]
    scores = kernel.psum((q_block, key_block), name="scores")
    pv_acc = kernel.psum((q_block, d), name="p·v")
    p_tile = kernel.tile((q_block, key_block), dtype, name="p")
    p_t = [kernel.tile((key_chunk, q_block), dtype, name=f"p_t {b}") for b in range(2)]
    o_acc = kernel.tile((q_block, d), "fp32", name="o")
    col = {name: kernel.tile((q_block, 1), "fp32", name=name)
           for name in ("m", "m_new", "block max", "-m_new", "alpha", "l", "block sum")}
    step = 0
    for q0 in range(0, seq, q_block):
        kernel.load(q_tile, q_t[:, q0:q0 + q_block])
        kernel.fill(col["m"], NEGATIVE_START)
        kernel.fill(col["l"], 0.0)
        kernel.fill(o_acc, 0.0)
        for k0 in range(0, seq, key_block):
            buf = step % 2
            step += 1
            kernel.load(k_tiles[buf], k_t[:, k0:k0 + key_block])
            for c in range(num_chunks):
                kernel.load(v_tiles[buf * num_chunks + c], v_in[k0 + c * key_chunk:k0 + (c + 1) * key_chunk, :])
            kernel.matmul(scores, q_tile, k_tiles[buf])                              # S = Q Kᵀ (unscaled)
            kernel.reduce(col["block max"], scores, "max")
            kernel.activation(col["block max"], col["block max"], "identity", scale=scale)
            kernel.tensor_tensor(col["m_new"], col["m"], col["block max"], "maximum")
            kernel.tensor_tensor(col["alpha"], col["m"], col["m_new"], "subtract")
            kernel.activation(col["alpha"], col["alpha"], "exp")                    # exp(m_old − m_new)
            kernel.activation(col["-m_new"], col["m_new"], "identity", scale=-1.0)
            kernel.activation(p_tile, scores, "exp", scale=scale, bias=col["-m_new"])  # P = exp(S/√d − m_new)
            kernel.reduce(col["block sum"], p_tile, "sum")
            kernel.tensor_tensor(col["l"], col["l"], col["alpha"], "multiply")
            kernel.tensor_tensor(col["l"], col["l"], col["block sum"], "add")
            kernel.tensor_tensor(o_acc, o_acc, col["alpha"], "multiply")
            _pv(kernel, pv_acc, p_tile, p_t, v_tiles[buf * num_chunks:(buf + 1) * num_chunks], key_block,
                key_chunk)
            kernel.tensor_tensor(o_acc, o_acc, pv_acc, "add")
            kernel.copy(col["m"], col["m_new"])
        kernel.activation(col["l"], col["l"], "reciprocal")
        kernel.tensor_tensor(o_acc, o_acc, col["l"], "multiply")
        kernel.store(o[q0:q0 + q_block, :], o_acc)


def _unfused(kernel: Kernel, q_t: Tensor, k_t: Tensor, v_in: Tensor, o: Tensor, dtype: str, q_block: int,
             key_block: int, key_chunk: int, scale: float) -> None:
    d, seq = q_t.shape
    scores_hbm = kernel.hbm_output("scores", (seq, seq), "fp32")
    probs_hbm = kernel.hbm_output("probs", (seq, seq), dtype)
    q_tile = kernel.tile((d, q_block), dtype, name="q_t")
    k_tile = kernel.tile((d, key_block), dtype, name="k_t")
    scores = kernel.psum((q_block, key_block), name="scores")
    s_out = kernel.tile((q_block, key_block), "fp32", name="s")
    for q0 in range(0, seq, q_block):                                    # pass 1: S = Q Kᵀ / √d → HBM
        kernel.load(q_tile, q_t[:, q0:q0 + q_block])
        for k0 in range(0, seq, key_block):
            kernel.load(k_tile, k_t[:, k0:k0 + key_block])
            kernel.matmul(scores, q_tile, k_tile)
            kernel.activation(s_out, scores, "identity", scale=scale)
            kernel.store(scores_hbm[q0:q0 + q_block, k0:k0 + key_block], s_out)
    row = kernel.tile((q_block, seq), "fp32", name="score rows")
    prob = kernel.tile((q_block, seq), dtype, name="prob rows")
    row_max, neg_max = kernel.tile((q_block, 1), "fp32", name="max"), kernel.tile((q_block, 1), "fp32", name="-max")
    row_sum = kernel.tile((q_block, 1), "fp32", name="sum")
    for q0 in range(0, seq, q_block):                                    # pass 2: P = softmax(S) → HBM
        kernel.load(row, scores_hbm[q0:q0 + q_block, :])
        kernel.reduce(row_max, row, "max")
        kernel.activation(neg_max, row_max, "identity", scale=-1.0)
        kernel.activation(row, row, "exp", bias=neg_max)
        kernel.reduce(row_sum, row, "sum")
        kernel.activation(row_sum, row_sum, "reciprocal")
        kernel.tensor_tensor(prob, row, row_sum, "multiply")
        kernel.store(probs_hbm[q0:q0 + q_block, :], prob)
    p_t = [kernel.tile((key_chunk, q_block), dtype, name=f"p_t {b}") for b in range(2)]
    v_tiles = [kernel.tile((key_chunk, d), dtype, name=f"v {c}") for c in range(seq // key_chunk)]
    for c, tile in enumerate(v_tiles):
        kernel.load(tile, v_in[c * key_chunk:(c + 1) * key_chunk, :])
    pv_acc = kernel.psum((q_block, d), name="p·v")
    o_tile = kernel.tile((q_block, d), "fp32", name="o")
    for q0 in range(0, seq, q_block):                                    # pass 3: O = P V
        kernel.load(prob, probs_hbm[q0:q0 + q_block, :])
        _pv(kernel, pv_acc, prob, p_t, v_tiles, seq, key_chunk)
        kernel.copy(o_tile, pv_acc)
        kernel.store(o[q0:q0 + q_block, :], o_tile)
