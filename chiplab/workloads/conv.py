"""2-D convolution layers, lowered to a GEMM by im2col (as SCALE-Sim and most accelerators do)."""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import non_negative_int, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.workloads.gemm import Gemm


@dataclass(frozen=True, kw_only=True)
class Conv2d:
    """A convolution of a (ifmap_h × ifmap_w × channels) input with ``num_filters`` filters.

    im2col turns it into C[m, n] = A[m, k] @ B[k, n] with m = output pixels (× batch),
    n = num_filters and k = filter_h · filter_w · channels (one filter window per row of A).

    >>> Conv2d(ifmap_h=7, ifmap_w=7, filter_h=3, filter_w=3, channels=2, num_filters=4).to_gemm()
    Gemm(m=25, n=4, k=18, dtype='bf16')
    """

    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    num_filters: int
    stride: int = 1
    padding: int = 0
    batch: int = 1
    dtype: str = "bf16"
    name: str = "conv"

    def __post_init__(self) -> None:
        for field in ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters", "stride", "batch"):
            object.__setattr__(self, field, positive_int(field, getattr(self, field)))
        object.__setattr__(self, "padding", non_negative_int("padding", self.padding))
        for axis in ("h", "w"):
            size = getattr(self, f"ifmap_{axis}") + 2 * self.padding
            if getattr(self, f"filter_{axis}") > size:
                raise ChiplabInputError(
                    f"filter_{axis} ({getattr(self, f'filter_{axis}')}) must not exceed the padded input "
                    f"ifmap_{axis} + 2·padding ({size}) in layer {self.name!r}"
                )

    @property
    def out_h(self) -> int:
        return (self.ifmap_h + 2 * self.padding - self.filter_h) // self.stride + 1

    @property
    def out_w(self) -> int:
        return (self.ifmap_w + 2 * self.padding - self.filter_w) // self.stride + 1

    def to_gemm(self) -> Gemm:
        """The im2col GEMM: one row of A per output pixel, one column of B per filter."""
        return Gemm(
            m=self.out_h * self.out_w * self.batch,
            n=self.num_filters,
            k=self.filter_h * self.filter_w * self.channels,
            dtype=self.dtype,
        )
