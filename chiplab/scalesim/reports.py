"""Write SCALE-Sim 3.0.0's three report CSVs byte for byte (scalesim/simulator.py: simulator.generate_reports).

Layout: a header line, then one line per layer: ``LayerID, v1, v2, ..., vN,`` — values joined by ``", "``, a
trailing comma, ``\\n`` line ends. Numbers are printed with ``str()``: counts as integers; utilisations,
bandwidths and every start/stop cycle as floats (SCALE-Sim reads the cycles back out of float trace matrices,
hence ``9.0``), except the three cycle counts of the compute report, which are integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from chiplab.scalesim.sparse_reports import (
    SPARSE_BANDWIDTH_HEADER,
    SPARSE_HEADER,
    SPARSE_REPORT_NAME,
    sparse_bandwidth_row,
    sparse_line,
)

if TYPE_CHECKING:
    from chiplab.scalesim.run import ScaleSimLayerResult

COMPUTE_HEADER = ("LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, "
                  "Mapping Efficiency %, Compute Util %,\n")
BANDWIDTH_HEADER = ("LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
                    "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n")
DETAILED_HEADER = (
    "LayerID, "
    "SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
    "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
    "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
    "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
    "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
    "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n"
)
REPORT_NAMES = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")


def _line(layer_id: int, values: Sequence[int | float]) -> str:
    return f"{layer_id}, " + ", ".join(str(v) for v in values) + ",\n"


def compute_row(r: ScaleSimLayerResult) -> list[int | float]:
    # single_layer_sim.calc_report_data: overall_util = (num_compute * 100) / (total_cycles * num_mac_unit),
    # integers divided once; mapping_eff and compute_util are the fold means times 100.
    overall_percent = (r.num_macs * 100) / (r.total_cycles * r.num_pes)
    return [r.total_cycles_incl_prefetch, r.total_cycles, r.stall_cycles, overall_percent,
            r.mapping_efficiency_fraction * 100, r.compute_utilization_fraction * 100]


def bandwidth_row(r: ScaleSimLayerResult) -> list[float]:
    return [r.ifmap_sram_words_per_cycle, r.filter_sram_words_per_cycle, r.ofmap_sram_words_per_cycle,
            r.ifmap_dram_words_per_cycle, r.filter_dram_words_per_cycle, r.ofmap_dram_words_per_cycle]


def detailed_row(r: ScaleSimLayerResult) -> list[int | float]:
    return [float(r.ifmap_sram_start_cycle), float(r.ifmap_sram_stop_cycle), r.num_ifmap_sram_reads,
            float(r.filter_sram_start_cycle), float(r.filter_sram_stop_cycle), r.num_filter_sram_reads,
            float(r.ofmap_sram_start_cycle), float(r.ofmap_sram_stop_cycle), r.num_ofmap_sram_writes,
            float(r.ifmap_dram_start_cycle), float(r.ifmap_dram_stop_cycle), r.num_ifmap_dram_reads,
            float(r.filter_dram_start_cycle), float(r.filter_dram_stop_cycle), r.num_filter_dram_reads,
            float(r.ofmap_dram_start_cycle), float(r.ofmap_dram_stop_cycle), r.num_ofmap_dram_writes]


def write_reports(report_dir: str | Path, results: Sequence[ScaleSimLayerResult],
                  sparse: bool = False) -> tuple[Path, ...]:
    """Write COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv into ``report_dir``; with
    ``sparse`` (SparsitySupport = true) the bandwidth report gains the metadata column and SPARSE_REPORT.csv is
    written too (chiplab.scalesim.sparse_reports)."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    if sparse:
        bandwidth = SPARSE_BANDWIDTH_HEADER + "".join(_line(r.layer_id, sparse_bandwidth_row(r)) for r in results)
    else:
        bandwidth = BANDWIDTH_HEADER + "".join(_line(r.layer_id, bandwidth_row(r)) for r in results)
    contents = [
        COMPUTE_HEADER + "".join(_line(r.layer_id, compute_row(r)) for r in results),
        bandwidth,
        DETAILED_HEADER + "".join(_line(r.layer_id, detailed_row(r)) for r in results),
    ]
    names = list(REPORT_NAMES)
    if sparse:
        contents.append(SPARSE_HEADER + "".join(sparse_line(r) for r in results))
        names.append(SPARSE_REPORT_NAME)
    paths = tuple(report_dir / name for name in names)
    for path, text in zip(paths, contents, strict=True):
        path.write_text(text, encoding="utf-8", newline="\n")
    return paths
