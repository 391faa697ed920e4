"""The geometry of one systolic array: R rows × C columns of multiply-accumulate processing elements (PEs)."""

from __future__ import annotations

import math
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

    ``stationary_load_rows_per_cycle``: how many rows of a stationary tile (WS weights, IS inputs) enter the
    array per cycle. The default, 1, is the TPU's and SCALE-Sim's: a tile shifts in one row a cycle, so a fold
    lasts at least R cycles however few rows stream past it. An array with a wider load path swaps tiles faster
    (AWS's Tensor Engine: "Fast LoadStationary", a full 128-wide tile in 64 cycles), which is what keeps a
    GEMV-like op limited by memory rather than by tile loads. Output-stationary folds are unaffected.

    >>> SystolicArraySpec(num_rows=128, num_cols=128).num_pes
    16384
    >>> SystolicArraySpec(num_rows=128, num_cols=128, stationary_load_rows_per_cycle=2).stationary_load_cycles
    64
    """

    num_rows: int
    num_cols: int
    stationary_load_rows_per_cycle: int = 1

    def __post_init__(self) -> None:
        for name in ("num_rows", "num_cols", "stationary_load_rows_per_cycle"):
            value = positive_int(name, getattr(self, name))
            if value > MAX_ARRAY_DIM:
                from chiplab.errors import ChiplabInputError

                raise ChiplabInputError(f"{name} must be between 1 and {MAX_ARRAY_DIM}; got {value}")
            object.__setattr__(self, name, value)
        if self.stationary_load_rows_per_cycle > self.num_rows:  # a load path wider than the tile has no meaning
            from chiplab.errors import ChiplabInputError

            raise ChiplabInputError(
                f"stationary_load_rows_per_cycle must be between 1 and num_rows = {self.num_rows} (a stationary tile "
                f"has {self.num_rows} rows to load); got {self.stationary_load_rows_per_cycle}")

    @property
    def num_pes(self) -> int:
        """Number of processing elements, R·C."""
        return self.num_rows * self.num_cols

    @property
    def stationary_load_cycles(self) -> int:
        """Cycles to load one full R×C stationary tile: ceil(R / rows loaded per cycle), at least one."""
        return math.ceil(self.num_rows / self.stationary_load_rows_per_cycle)

    def __str__(self) -> str:
        loads = ("" if self.stationary_load_rows_per_cycle == 1
                 else f", a stationary tile loads in {self.stationary_load_cycles} cycles")
        return f"{self.num_rows}×{self.num_cols} array{loads}"
