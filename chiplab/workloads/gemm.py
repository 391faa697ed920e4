"""The GEMM, chiplab's unit of work: C[m, n] = A[m, k] @ B[k, n]."""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import one_of, positive_int

# Bytes per element of each number format the models know about.
DTYPE_BYTES = {"int8": 1, "fp8": 1, "bf16": 2, "fp16": 2, "tf32": 4, "fp32": 4, "int32": 4, "fp64": 8}


@dataclass(frozen=True, kw_only=True)
class Gemm:
    """C[m, n] = A[m, k] @ B[k, n] in one number format.

    >>> g = Gemm(m=2, n=3, k=4)
    >>> g.num_macs, g.num_flops
    (24, 48)
    """

    m: int
    n: int
    k: int
    dtype: str = "bf16"

    def __post_init__(self) -> None:
        for name in ("m", "n", "k"):
            object.__setattr__(self, name, positive_int(name, getattr(self, name)))
        object.__setattr__(self, "dtype", one_of("dtype", self.dtype, DTYPE_BYTES))

    @property
    def num_macs(self) -> int:
        """Multiply-accumulates: m·n·k."""
        return self.m * self.n * self.k

    @property
    def num_flops(self) -> int:
        """FLOPs, counting a multiply-accumulate as two (the convention of vendor peak figures)."""
        return 2 * self.num_macs

    @property
    def bytes_per_element(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def dims(self) -> dict[str, int]:
        """The three dimensions by name, for the dataflow table."""
        return {"m": self.m, "n": self.n, "k": self.k}

    def __str__(self) -> str:
        return f"GEMM m={self.m} n={self.n} k={self.k} ({self.dtype})"
