"""The report changes SCALE-Sim 3.0.0 makes when sparsity is on (``simulator.py: simulator.generate_reports``).

* BANDWIDTH_REPORT.csv gains a fourth column, ``Avg FILTER Metadata SRAM BW`` (filter metadata words / Total
  Cycles), between the filter and OFMAP SRAM columns.
* A fourth file, SPARSE_REPORT.csv: per layer the representation name, the original (dense) filter storage, the
  new storage (filter + metadata), the metadata storage and again the metadata bandwidth. Its header line ends
  in ``", \\n"`` (a space before the line break), its rows in ``",\\n"`` like every other report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chiplab.scalesim.run import ScaleSimLayerResult

SPARSE_BANDWIDTH_HEADER = ("LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg FILTER Metadata SRAM BW, "
                           "Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n")
SPARSE_HEADER = ("LayerID, Sparsity Representation, Original Filter Storage, New Storage (Filter+Metadata), "
                 "Filter Metadata Storage, Avg FILTER Metadata SRAM BW, \n")
SPARSE_REPORT_NAME = "SPARSE_REPORT.csv"


def sparse_bandwidth_row(r: ScaleSimLayerResult) -> list[float]:
    return [r.ifmap_sram_words_per_cycle, r.filter_sram_words_per_cycle, r.filter_metadata_sram_words_per_cycle,
            r.ofmap_sram_words_per_cycle, r.ifmap_dram_words_per_cycle, r.filter_dram_words_per_cycle,
            r.ofmap_dram_words_per_cycle]


def sparse_line(r: ScaleSimLayerResult) -> str:
    storage = r.filter_storage
    assert storage is not None, "SPARSE_REPORT.csv is written only for sparse runs"
    values = [storage.original_words, storage.new_words, storage.metadata_words,
              r.filter_metadata_sram_words_per_cycle]
    return f"{r.layer_id}, {storage.representation}, " + ", ".join(str(v) for v in values) + ",\n"
