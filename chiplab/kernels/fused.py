"""Worked kernel: y = act(x @ w + bias), a dense layer, fused vs unfused.

The kernel computes yᵀ = wᵀ xᵀ so that the output features sit on partitions and the bias is one number per
partition: then the scalar engine can apply bias and activation while it moves the result out of the
accumulator, in ONE instruction per tile (``"fused"``). The ``"unfused"`` version does what three separate
library calls would: write the matmul result to HBM, read it back to add the bias, write it, read it back for
the activation, write it. Same arithmetic; the difference is HBM traffic and instruction count.
"""

from __future__ import annotations

import numpy as np

from chiplab._checks import one_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware import Chip
from chiplab.kernels._ops import ACTIVATIONS
from chiplab.kernels.inputs import checked_inputs
from chiplab.kernels.language import Kernel
from chiplab.kernels.matmul import instruction_tile
from chiplab.kernels.params import core_params
from chiplab.kernels.result import KernelRun

FUSED_VARIANTS = ("unfused", "fused")


def run_dense(chip: str | Chip, x: np.ndarray | None = None, w: np.ndarray | None = None,
              bias: np.ndarray | None = None, *, shape: tuple[int, int, int] | None = None,
              activation: str = "gelu", dtype: str = "bf16", variant: str = "fused",
              values: bool = True) -> KernelRun:
    """y = act(x @ w + bias) for x (m, k), w (k, n), bias (n,); the result is ``run.outputs["y_t"]`` = yᵀ."""
    variant = one_of("variant", variant, FUSED_VARIANTS)
    activation = one_of("activation", activation, ACTIVATIONS)
    params = core_params(chip)
    kernel = Kernel(params, values=values, name=f"dense + {activation} ({variant})")
    arrays, given_shape = checked_inputs("run_dense", {"x": x, "w": w, "bias": bias}, values=values, shape=shape,
                                         shape_text="(m, n, k)", ndims={"bias": 1})
    if values:
        x_values, w_values, bias_column = arrays["x"], arrays["w"], arrays["bias"].reshape(-1, 1)
        if x_values.shape[1] != w_values.shape[0] or bias_column.shape[0] != w_values.shape[1]:
            raise ChiplabInputError(f"run_dense: need x (m, k), w (k, n), bias (n,); got {x_values.shape}, "
                                    f"{w_values.shape}, {arrays['bias'].shape}")
        x_t = kernel.hbm("x_t", np.ascontiguousarray(x_values.T), dtype=dtype)
        w_in = kernel.hbm("w", w_values, dtype=dtype)
        b_in = kernel.hbm("bias", bias_column, dtype="fp32")
    else:
        m, n, k = given_shape
        x_t = kernel.hbm("x_t", shape=(k, m), dtype=dtype)
        w_in = kernel.hbm("w", shape=(k, n), dtype=dtype)
        b_in = kernel.hbm("bias", shape=(n, 1), dtype="fp32")
    k_dim, m_dim = x_t.shape
    n_dim = w_in.shape[1]
    tile_k, tile_n_out, tile_m = instruction_tile(params)   # output features (n) on partitions, rows (m) stream
    tile_m = min(tile_m, m_dim)
    for size, block, name in ((k_dim, tile_k, "k"), (n_dim, tile_n_out, "n"), (m_dim, tile_m, "m")):
        if size % block:
            raise ChiplabInputError(f"run_dense: {name} = {size} must be a multiple of {block}")
    y_t = kernel.hbm_output("y_t", (n_dim, m_dim), "fp32")
    num_k = k_dim // tile_k
    w_tiles = [kernel.tile((tile_k, tile_n_out), dtype, name=f"w {kk}") for kk in range(num_k)]
    x_tiles = [[kernel.tile((tile_k, tile_m), dtype, name=f"x_t {b}.{kk}") for kk in range(num_k)] for b in range(2)]
    bias_tile = kernel.tile((tile_n_out, 1), "fp32", name="bias")
    acc = [kernel.psum((tile_n_out, tile_m), name=f"acc {b}") for b in range(2)]
    out = [kernel.tile((tile_n_out, tile_m), "fp32", name=f"y {b}") for b in range(2)]
    scratch = None if variant == "fused" else kernel.hbm_output("scratch", (n_dim, m_dim), "fp32")
    step = 0
    for n0 in range(0, n_dim, tile_n_out):
        for kk in range(num_k):
            kernel.load(w_tiles[kk], w_in[kk * tile_k:(kk + 1) * tile_k, n0:n0 + tile_n_out])
        kernel.load(bias_tile, b_in[n0:n0 + tile_n_out, :])
        for m0 in range(0, m_dim, tile_m):
            buf = step % 2
            step += 1
            for kk in range(num_k):
                kernel.load(x_tiles[buf][kk], x_t[kk * tile_k:(kk + 1) * tile_k, m0:m0 + tile_m])
            for kk in range(num_k):
                kernel.matmul(acc[buf], w_tiles[kk], x_tiles[buf][kk], accumulate=kk > 0)
            region = (slice(n0, n0 + tile_n_out), slice(m0, m0 + tile_m))
            if scratch is None:   # the fused variant
                kernel.activation(out[buf], acc[buf], activation, bias=bias_tile)   # evacuate + bias + act
            else:
                kernel.copy(out[buf], acc[buf])
                kernel.store(scratch[region], out[buf])
                kernel.load(out[buf], scratch[region])
                kernel.tensor_tensor(out[buf], out[buf], bias_tile, "add")
                kernel.store(scratch[region], out[buf])
                kernel.load(out[buf], scratch[region])
                kernel.activation(out[buf], out[buf], activation)
            kernel.store(y_t[region], out[buf])
    return kernel.finish()
