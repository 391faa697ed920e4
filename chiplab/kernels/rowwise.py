"""Worked row-wise kernels on the vector and scalar engines: softmax and layer norm over the rows of X.

Rows go on partitions (128 at a time on Trainium), the row's elements along the free axis, so a reduction over a
row is one vector instruction. Two variants each, with a measurable difference:

* ``"unfused"``: one buffer, and every step its own instruction (subtract the max, then exp): the DMAs wait for
  the engines and the engines for the DMAs, and the scalar engine runs twice as many passes;
* ``"fused"``: two buffers (the next rows load while these compute) and exp(x − max) as ONE scalar-engine
  instruction (the activation's bias input takes −max per row).
"""

from __future__ import annotations

import numpy as np

from chiplab._checks import one_of, positive
from chiplab.errors import ChiplabInputError
from chiplab.hardware import Chip
from chiplab.kernels.inputs import checked_inputs
from chiplab.kernels.language import Kernel
from chiplab.kernels.matmul import instruction_tile
from chiplab.kernels.params import core_params
from chiplab.kernels.result import KernelRun
from chiplab.kernels.tiles import Tensor

ROWWISE_VARIANTS = ("unfused", "fused")


def _setup(chip: str | Chip, x: np.ndarray | None, shape: tuple[int, int] | None, dtype: str, values: bool,
           name: str) -> tuple[Kernel, Tensor, Tensor, int, int, int]:
    params = core_params(chip)
    kernel = Kernel(params, values=values, name=name)
    arrays, given_shape = checked_inputs(name, {"x": x}, values=values, shape=shape, shape_text="(rows, cols)")
    x_in = kernel.hbm("x", arrays["x"], dtype=dtype) if values else kernel.hbm("x", shape=given_shape, dtype=dtype)
    rows, cols = x_in.shape
    block = params.num_partitions or instruction_tile(params)[0]
    block = min(block, rows)
    if rows % block:
        raise ChiplabInputError(f"{name}: rows = {rows} must be a multiple of {block} (the rows one tile holds)")
    out = kernel.hbm_output("y", (rows, cols), "fp32")
    return kernel, x_in, out, rows, cols, block


def run_softmax(chip: str | Chip, x: np.ndarray | None = None, *, shape: tuple[int, int] | None = None,
                dtype: str = "fp32", variant: str = "fused", values: bool = True) -> KernelRun:
    """y = softmax(x) along each row; ``run.outputs["y"]``."""
    variant = one_of("variant", variant, ROWWISE_VARIANTS)
    kernel, x_in, out, rows, cols, block = _setup(chip, x, shape, dtype, values, f"softmax ({variant})")
    buffers = 2 if variant == "fused" else 1
    xs = [kernel.tile((block, cols), dtype, name=f"x {b}") for b in range(buffers)]
    es = [kernel.tile((block, cols), "fp32", name=f"exp {b}") for b in range(buffers)]
    row_max = kernel.tile((block, 1), "fp32", name="row max")
    neg_max = kernel.tile((block, 1), "fp32", name="-row max")
    row_sum = kernel.tile((block, 1), "fp32", name="row sum")
    inv_sum = kernel.tile((block, 1), "fp32", name="1/row sum")
    for step, r0 in enumerate(range(0, rows, block)):
        x_tile, e_tile = xs[step % buffers], es[step % buffers]
        kernel.load(x_tile, x_in[r0:r0 + block, :])
        kernel.reduce(row_max, x_tile, "max")
        if variant == "fused":
            kernel.activation(neg_max, row_max, "identity", scale=-1.0)
            kernel.activation(e_tile, x_tile, "exp", bias=neg_max)          # exp(x - max) in one pass
        else:
            kernel.tensor_tensor(e_tile, x_tile, row_max, "subtract")
            kernel.activation(e_tile, e_tile, "exp")
        kernel.reduce(row_sum, e_tile, "sum")
        kernel.activation(inv_sum, row_sum, "reciprocal")
        kernel.tensor_tensor(e_tile, e_tile, inv_sum, "multiply")
        kernel.store(out[r0:r0 + block, :], e_tile)
    return kernel.finish()


def run_layer_norm(chip: str | Chip, x: np.ndarray | None = None, *, shape: tuple[int, int] | None = None,
                   dtype: str = "fp32", variant: str = "fused", epsilon: float = 1e-5,
                   values: bool = True) -> KernelRun:
    """y = (x − mean) / sqrt(var + epsilon) along each row (no learned scale or shift); ``run.outputs["y"]``."""
    variant = one_of("variant", variant, ROWWISE_VARIANTS)
    epsilon = positive("epsilon", epsilon)
    kernel, x_in, out, rows, cols, block = _setup(chip, x, shape, dtype, values, f"layer norm ({variant})")
    buffers = 2 if variant == "fused" else 1
    xs = [kernel.tile((block, cols), dtype, name=f"x {b}") for b in range(buffers)]
    centered = [kernel.tile((block, cols), "fp32", name=f"centered {b}") for b in range(buffers)]
    squares = kernel.tile((block, cols), "fp32", name="squares")
    total, mean = kernel.tile((block, 1), "fp32", name="row sum"), kernel.tile((block, 1), "fp32", name="mean")
    var, rstd = kernel.tile((block, 1), "fp32", name="variance"), kernel.tile((block, 1), "fp32", name="rstd")
    for step, r0 in enumerate(range(0, rows, block)):
        x_tile, c_tile = xs[step % buffers], centered[step % buffers]
        kernel.load(x_tile, x_in[r0:r0 + block, :])
        kernel.reduce(total, x_tile, "sum")
        kernel.activation(mean, total, "identity", scale=1.0 / cols)
        kernel.tensor_tensor(c_tile, x_tile, mean, "subtract")
        if variant == "fused":
            kernel.tensor_tensor(squares, c_tile, c_tile, "multiply")
            kernel.reduce(var, squares, "sum")
            kernel.activation(rstd, var, "rsqrt", scale=1.0 / cols, bias=epsilon)   # 1/sqrt(var/n + eps)
        else:
            kernel.tensor_tensor(squares, c_tile, c_tile, "multiply")
            kernel.reduce(total, squares, "sum")
            kernel.activation(var, total, "identity", scale=1.0 / cols)
            kernel.activation(var, var, "identity", bias=epsilon)
            kernel.activation(rstd, var, "rsqrt")
        kernel.tensor_tensor(c_tile, c_tile, rstd, "multiply")
        kernel.store(out[r0:r0 + block, :], c_tile)
    return kernel.finish()
