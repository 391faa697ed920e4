"""The geometry of one systolic array: R rows × C columns of multiply-accumulate processing elements (PEs)."""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import positive_int

# An array this large would not fit on any die (TPU v6e's 256×256 is the largest shipped); the limit catches
# typos such as 1280 for 128 before a simulation tries to allocate gigabytes.
MAX_ARRAY_DIM = 4096


@dataclass(frozen=True, kw_only=True)
class SystolicArraySpec:
    """An R×C grid of PEs.

    In the SCALE-Sim paper's symbols (Samajdar et al., ISPASS 2020), ``num_rows`` is R and ``num_cols`` is C;
    a GEMM is mapped so that S_R of its elements run along the rows, S_C along the columns and T through time.

    >>> SystolicArraySpec(num_rows=128, num_cols=128).num_pes
    16384
    """

    num_rows: int
    num_cols: int

    def __post_init__(self) -> None:
        for name in ("num_rows", "num_cols"):
            value = positive_int(name, getattr(self, name))
            if value > MAX_ARRAY_DIM:
                from chiplab.errors import ChiplabInputError

                raise ChiplabInputError(f"{name} must be between 1 and {MAX_ARRAY_DIM}; got {value}")
            object.__setattr__(self, name, value)

    @property
    def num_pes(self) -> int:
        """Number of processing elements, R·C."""
        return self.num_rows * self.num_cols

    def __str__(self) -> str:
        return f"{self.num_rows}×{self.num_cols} array"
