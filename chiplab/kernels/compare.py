"""Run every variant of a worked kernel on the same problem, for side-by-side comparison (the book and explorers
call this instead of looping)."""

from __future__ import annotations

from collections.abc import Callable

from chiplab._checks import one_of
from chiplab.hardware import Chip
from chiplab.kernels.attention import ATTENTION_VARIANTS, run_attention
from chiplab.kernels.fused import FUSED_VARIANTS, run_dense
from chiplab.kernels.matmul import VARIANTS, run_matmul
from chiplab.kernels.result import KernelRun
from chiplab.kernels.rowwise import ROWWISE_VARIANTS, run_layer_norm, run_softmax

WORKED_KERNELS: dict[str, tuple[Callable[..., KernelRun], tuple[str, ...]]] = {
    "matmul": (run_matmul, VARIANTS),
    "dense": (run_dense, FUSED_VARIANTS),
    "softmax": (run_softmax, ROWWISE_VARIANTS),
    "layer_norm": (run_layer_norm, ROWWISE_VARIANTS),
    "attention": (run_attention, ATTENTION_VARIANTS),
}


def compare_variants(kernel: str, chip: str | Chip, shape: tuple[int, ...], **options: object) -> tuple[KernelRun, ...]:
    """Time-only runs of every variant of ``kernel`` ("matmul", "dense", "softmax", "layer_norm", "attention"),
    slowest idea first, e.g. ``compare_variants("matmul", "trn2", (2048, 2048, 2048))``."""
    run, variants = WORKED_KERNELS[one_of("kernel", kernel, WORKED_KERNELS)]
    return tuple(run(chip, shape=shape, variant=variant, values=False, **options) for variant in variants)
