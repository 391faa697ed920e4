"""Stall cycles against DRAM bandwidth: one layer in SCALE-Sim's USER mode, all three dataflows.

A fixed DRAM bandwidth (words per cycle, the same for both read buffers and the OFMAP drain) is swept; below a
*knee* the array waits for memory, above it the stalls are gone and more bandwidth buys nothing. The knee sits
near the bandwidth the layer would need if its DRAM traffic were spread evenly over its compute cycles, and it
differs by dataflow because each dataflow re-reads a different operand (see :mod:`chiplab.scalesim.compute`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chiplab._checks import instance_of, positive_int_at_most
from chiplab.errors import ChiplabInputError
from chiplab.scalesim.config import MAX_INT, ScaleSimConfig
from chiplab.scalesim.run import simulate_layer
from chiplab.scalesim.topology import MAX_DIMENSION, ScaleSimLayer
from chiplab.systolic.dataflow import Dataflow


@dataclass(frozen=True, kw_only=True)
class StallSweep:
    """Stall and total cycles of one layer per dataflow (``"ws"``, ``"os"``, ``"is"``) and bandwidth."""

    layer: ScaleSimLayer
    num_rows: int
    num_cols: int
    sram_bytes: int  # each of the three SRAMs
    bandwidths_words_per_cycle: tuple[int, ...]
    stall_cycles: dict[str, tuple[int, ...]]
    total_cycles: dict[str, tuple[int, ...]]
    dram_words: dict[str, tuple[int, ...]]  # DRAM reads + writes at each bandwidth

    def knee_words_per_cycle(self, dataflow: str) -> int | None:
        """The smallest swept bandwidth at which ``dataflow`` no longer stalls (None if it always does)."""
        for bandwidth, stalls in zip(self.bandwidths_words_per_cycle, self.stall_cycles[dataflow], strict=True):
            if stalls == 0:
                return bandwidth
        return None

    def words_per_compute_cycle(self, dataflow: str) -> float:
        """DRAM words moved (at the largest swept bandwidth) per stall-free compute cycle: the bandwidth at which
        the traffic would just fit into the compute time, a first estimate of the knee."""
        return self.dram_words[dataflow][-1] / self.compute_cycles(dataflow)

    def compute_cycles(self, dataflow: str) -> int:
        """Cycles without stalls (the same at every bandwidth)."""
        return self.total_cycles[dataflow][0] - self.stall_cycles[dataflow][0]


def _config(dataflow: Dataflow, num_rows: int, num_cols: int, sram_bytes: int, bandwidth: int) -> ScaleSimConfig:
    return ScaleSimConfig(path=Path("<stall sweep>"), run_name="sweep", num_rows=num_rows, num_cols=num_cols,
                          ifmap_sram_bytes=sram_bytes, filter_sram_bytes=sram_bytes, ofmap_sram_bytes=sram_bytes,
                          ifmap_offset=0, filter_offset=10_000_000, ofmap_offset=20_000_000, dataflow=dataflow,
                          interface_bandwidth="USER", user_bandwidths_words_per_cycle=(bandwidth,),
                          ifmap_dram_words_per_cycle=bandwidth, filter_dram_words_per_cycle=bandwidth)


def sweep_dram_bandwidth(m: int, n: int, k: int, *, num_rows: int, num_cols: int, sram_bytes: int,
                         bandwidths_words_per_cycle: tuple[int, ...]) -> StallSweep:
    """SCALE-Sim USER-mode stalls of the GEMM ``C[m, n] = A[m, k] @ B[k, n]`` for every dataflow and bandwidth.

    ``sram_bytes`` is the size of each of the three SRAMs (a multiple of 1024, as SCALE-Sim sizes them in KiB).
    """
    # The bounds of a SCALE-Sim topology row and config (2**31 - 1): past them addresses overflow 64 bits.
    m, n, k = (positive_int_at_most(name, value, MAX_DIMENSION) for name, value in (("m", m), ("n", n), ("k", k)))
    num_rows = positive_int_at_most("num_rows", num_rows, MAX_INT)
    num_cols = positive_int_at_most("num_cols", num_cols, MAX_INT)
    sram_bytes = positive_int_at_most("sram_bytes", sram_bytes, 1024 * MAX_INT)
    if sram_bytes % 1024:
        raise ChiplabInputError(f"sram_bytes must be a multiple of 1024 (SCALE-Sim sizes SRAMs in KiB); got "
                                f"{sram_bytes}")
    instance_of("bandwidths_words_per_cycle", bandwidths_words_per_cycle, (tuple, list),
                "a tuple of DRAM bandwidths in words per cycle, e.g. (1, 2, 4, 8)")
    bandwidths = tuple(positive_int_at_most("bandwidths_words_per_cycle", b, MAX_INT)
                       for b in bandwidths_words_per_cycle)
    if not bandwidths:
        raise ChiplabInputError("bandwidths_words_per_cycle must list at least one bandwidth; got none")
    layer = ScaleSimLayer(name="gemm", ifmap_height=m, ifmap_width=k, filter_height=1, filter_width=k,
                          num_channels=1, num_filters=n, stride=1)
    stalls: dict[str, tuple[int, ...]] = {}
    totals: dict[str, tuple[int, ...]] = {}
    words: dict[str, tuple[int, ...]] = {}
    for dataflow in Dataflow:
        runs = [simulate_layer(_config(dataflow, num_rows, num_cols, sram_bytes, b), layer) for b in bandwidths]
        stalls[dataflow.value] = tuple(r.stall_cycles for r in runs)
        totals[dataflow.value] = tuple(r.total_cycles for r in runs)
        words[dataflow.value] = tuple(r.num_ifmap_dram_reads + r.num_filter_dram_reads + r.num_ofmap_dram_writes
                                      for r in runs)
    return StallSweep(layer=layer, num_rows=num_rows, num_cols=num_cols, sram_bytes=sram_bytes,
                      bandwidths_words_per_cycle=bandwidths, stall_cycles=stalls, total_cycles=totals,
                      dram_words=words)
