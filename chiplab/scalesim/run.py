"""``run_scalesim``: SCALE-Sim 3.0.0's reports from its own config and topology files, in closed form."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chiplab._checks import instance_of, non_negative_int
from chiplab.errors import ChiplabInputError
from chiplab.scalesim import operands, rowwise
from chiplab.scalesim.compute import compute_layer
from chiplab.scalesim.config import ScaleSimConfig, load_config
from chiplab.scalesim.demand import ofmap_line_of_write, ofmap_writes_before_line
from chiplab.scalesim.dram import DramTraffic, read_buffer_traffic, simulate_ofmap_buffer
from chiplab.scalesim.read_buffer import UserReadBuffer, user_read_buffer
from chiplab.scalesim.reports import write_reports
from chiplab.scalesim.rowwise import RowWiseFilter, adjust_compute, column_ratios
from chiplab.scalesim.sparsity import FilterStorage, filter_storage
from chiplab.scalesim.topology import ScaleSimLayer, load_topology
from chiplab.scalesim.tumbling import operand_misses

PROGRESS_EVERY_S = 2.0  # a run longer than this reports its progress on stderr


@dataclass(frozen=True, kw_only=True)
class ScaleSimLayerResult:
    """Every number of SCALE-Sim's three reports for one layer (SCALE-Sim word = 1 byte).

    Cycles follow SCALE-Sim: ``total_cycles`` is the index of the last cycle (one less than the number of
    cycles), SRAM read cycles include the 1-cycle SRAM hit latency, DRAM read cycles of data prefetched before
    the layer starts are negative.
    """

    layer_id: int
    layer_name: str
    num_macs: int
    num_pes: int
    total_cycles_incl_prefetch: int  # OFMAP DRAM stop - earliest IFMAP/filter DRAM start
    total_cycles: int  # compute cycles + stall cycles
    stall_cycles: int
    overall_utilization_fraction: float  # num_macs / (total_cycles * num_pes)
    mapping_efficiency_fraction: float
    compute_utilization_fraction: float
    ifmap_sram_words_per_cycle: float  # SRAM accesses / total_cycles
    filter_sram_words_per_cycle: float
    ofmap_sram_words_per_cycle: float
    ifmap_dram_words_per_cycle: float  # DRAM accesses / (stop - start + 1)
    filter_dram_words_per_cycle: float
    ofmap_dram_words_per_cycle: float
    ifmap_sram_start_cycle: int
    ifmap_sram_stop_cycle: int
    num_ifmap_sram_reads: int | float  # a float under layer-wise sparsity in WS (read M/N times)
    filter_sram_start_cycle: int
    filter_sram_stop_cycle: int
    num_filter_sram_reads: int
    ofmap_sram_start_cycle: int
    ofmap_sram_stop_cycle: int
    num_ofmap_sram_writes: int
    ifmap_dram_start_cycle: int
    ifmap_dram_stop_cycle: int
    num_ifmap_dram_reads: int
    filter_dram_start_cycle: int
    filter_dram_stop_cycle: int
    num_filter_dram_reads: int
    ofmap_dram_start_cycle: int
    ofmap_dram_stop_cycle: int
    num_ofmap_dram_writes: int
    filter_storage: FilterStorage | None = None  # SPARSE_REPORT numbers; None when sparsity is off

    @property
    def filter_metadata_sram_words_per_cycle(self) -> float:
        """Avg FILTER Metadata SRAM BW: metadata words / total_cycles (single_layer_sim.calc_report_data)."""
        assert self.filter_storage is not None, "only sparse runs have filter metadata"
        return self.filter_storage.metadata_words / self.total_cycles


def simulate_layer(config: ScaleSimConfig, layer: ScaleSimLayer, layer_id: int = 0) -> ScaleSimLayerResult:
    """All report numbers of one layer in SCALE-Sim's CALC (estimated-bandwidth) or USER (fixed-bandwidth) mode."""
    instance_of("config", config, ScaleSimConfig, "a ScaleSimConfig, as chiplab.scalesim.load_config returns")
    instance_of("layer", layer, ScaleSimLayer, "a ScaleSimLayer, as chiplab.scalesim.load_topology returns")
    layer_id = non_negative_int("layer_id", layer_id)
    if config.sparsity is not None and not (layer.window_pruned or layer.row_wise_block_size):
        layer = _prune_layers(config, (layer,))[0]  # as run_scalesim prunes every layer of a sparse run
    rows, cols = config.num_rows, config.num_cols
    comp = compute_layer(layer, config.dataflow, rows, cols)  # refuses a layer with too many folds first
    row_wise = None
    if layer.row_wise_block_size and config.sparsity is not None:  # OptimizedMapping = true (WS only)
        row_wise = RowWiseFilter(layer, column_ratios(layer.n, layer.row_wise_block_size, config.sparsity.seed))
        comp = adjust_compute(comp, row_wise)
    plan = comp.plan
    user = config.interface_bandwidth == "USER"
    reads: dict[str, UserReadBuffer] = {}
    offsets: dict[str, dict[int, int]] = {"ifmap": {}, "filter": {}}  # USER mode: line -> read out-cycle offset
    if user:
        ifmap_bw, filter_bw = config.ifmap_dram_words_per_cycle, config.filter_dram_words_per_cycle
        assert ifmap_bw is not None and filter_bw is not None  # ScaleSimConfig requires both in USER mode
        sources = {} if row_wise is None else {name: rowwise.prefetch_source(row_wise, plan, name)
                                               for name in ("ifmap", "filter")}
        reads["ifmap"] = user_read_buffer(layer, plan, "ifmap", sram_words=config.ifmap_sram_bytes,
                                          words_per_cycle=ifmap_bw, source=sources.get("ifmap"))
        reads["filter"] = user_read_buffer(layer, plan, "filter", sram_words=config.filter_sram_bytes,
                                           words_per_cycle=filter_bw, source=sources.get("filter"))
    event_lines = sorted(set(reads["ifmap"].event_lines.tolist()) | set(reads["filter"].event_lines.tolist())
                         if user else set())
    where = {name: {int(line): i for i, line in enumerate(buffer.event_lines)} for name, buffer in reads.items()}

    def read_stall(index: int, cycle: int) -> int:
        # double_buffered_scratchpad.service_memory_requests: stall = out cycle - cycle - hit latency, per buffer.
        line, stall = event_lines[index], 0
        for name, buffer in reads.items():
            if line in where[name]:
                offsets[name][line] = buffer.line_offset(where[name][line], cycle)
                stall = max(stall, offsets[name][line] - 1)
        return stall

    stalls, ofmap_dram = simulate_ofmap_buffer(
        writes_before_line=ofmap_writes_before_line(plan), num_lines=plan.num_lines,
        line_of_write=ofmap_line_of_write(plan), max_writes_per_line=cols,
        sram_words=config.ofmap_sram_bytes, read_event_lines=event_lines, read_stall=read_stall,
        # CALC mode drains at ofmap_backing_bw = ArrayWidth; USER mode at the first Bandwidth value.
        drain_words_per_cycle=config.user_bandwidths_words_per_cycle[0] if user else cols)
    total_cycles = stalls.write_cycle(plan.num_lines - 1)  # max(ofmap_serviced_cycles)

    # double_buffered_scratchpad.service_memory_requests: line i is requested at cycle i + stalls so far; reads
    # are answered hit_latency = 1 cycle later (USER mode: later still on lines that prefetch), writes at the
    # (possibly stalled) cycle itself.
    def read_cycle(line: int, operand: str) -> int:
        return line + stalls.before(line) + offsets[operand].get(line, 1)

    def write_cycle(line: int) -> int:
        return stalls.write_cycle(line)

    def stream_misses(operand: str) -> Callable[[int], tuple[int, list[int]]]:
        if row_wise is not None:
            return lambda window: rowwise.operand_misses(row_wise, plan, operand, window)
        return lambda window: operand_misses(layer, plan, operand, window)

    if user:
        ifmap_dram, filter_dram = (
            DramTraffic(start_cycle=reads[name].dram_start_cycle, stop_cycle=reads[name].dram_stop_cycle,
                        num_accesses=reads[name].num_dram_reads) for name in ("ifmap", "filter"))
    else:
        ifmap_dram = read_buffer_traffic(
            sram_words=config.ifmap_sram_bytes, num_distinct_words=operands.num_distinct_ifmap_words(layer),
            first_request_cycle=read_cycle(comp.ifmap_first_line, "ifmap") - 1,
            stream_misses=stream_misses("ifmap"), stalls=stalls)
        filter_dram = read_buffer_traffic(
            sram_words=config.filter_sram_bytes,
            num_distinct_words=layer.k * layer.n if row_wise is None else row_wise.num_kept,
            first_request_cycle=read_cycle(comp.filter_first_line, "filter") - 1,
            stream_misses=stream_misses("filter"), stalls=stalls)

    def dram_rate(traffic: DramTraffic) -> float:
        return traffic.num_accesses / (traffic.stop_cycle - traffic.start_cycle + 1)

    return ScaleSimLayerResult(
        layer_id=layer_id,
        layer_name=layer.name,
        num_macs=layer.num_macs,
        num_pes=rows * cols,
        # single_layer_sim.calc_report_data: overall_cycles = ofmap DRAM stop - min(ifmap, filter DRAM start)
        total_cycles_incl_prefetch=ofmap_dram.stop_cycle - min(ifmap_dram.start_cycle, filter_dram.start_cycle),
        total_cycles=total_cycles,
        stall_cycles=stalls.total_cycles,
        overall_utilization_fraction=layer.num_macs / (total_cycles * rows * cols),
        mapping_efficiency_fraction=comp.mapping_efficiency_fraction,
        compute_utilization_fraction=comp.compute_utilization_fraction,
        ifmap_sram_words_per_cycle=comp.num_ifmap_sram_reads / total_cycles,
        filter_sram_words_per_cycle=comp.num_filter_sram_reads / total_cycles,
        ofmap_sram_words_per_cycle=comp.num_ofmap_sram_writes / total_cycles,
        ifmap_dram_words_per_cycle=dram_rate(ifmap_dram),
        filter_dram_words_per_cycle=dram_rate(filter_dram),
        ofmap_dram_words_per_cycle=dram_rate(ofmap_dram),
        ifmap_sram_start_cycle=read_cycle(comp.ifmap_first_line, "ifmap"),
        ifmap_sram_stop_cycle=read_cycle(comp.ifmap_last_line, "ifmap"),
        num_ifmap_sram_reads=comp.num_ifmap_sram_reads,
        filter_sram_start_cycle=read_cycle(comp.filter_first_line, "filter"),
        filter_sram_stop_cycle=read_cycle(comp.filter_last_line, "filter"),
        num_filter_sram_reads=comp.num_filter_sram_reads,
        ofmap_sram_start_cycle=write_cycle(comp.ofmap_first_line),
        ofmap_sram_stop_cycle=write_cycle(comp.ofmap_last_line),
        num_ofmap_sram_writes=comp.num_ofmap_sram_writes,
        ifmap_dram_start_cycle=ifmap_dram.start_cycle,
        ifmap_dram_stop_cycle=ifmap_dram.stop_cycle,
        num_ifmap_dram_reads=ifmap_dram.num_accesses,
        filter_dram_start_cycle=filter_dram.start_cycle,
        filter_dram_stop_cycle=filter_dram.stop_cycle,
        num_filter_dram_reads=filter_dram.num_accesses,
        ofmap_dram_start_cycle=ofmap_dram.start_cycle,
        ofmap_dram_stop_cycle=ofmap_dram.stop_cycle,
        num_ofmap_dram_writes=ofmap_dram.num_accesses,
        filter_storage=None if config.sparsity is None else filter_storage(
            config.sparsity.representation, window_size=layer.window_size, num_filters=layer.n,
            nonzeros=layer.k * layer.n if row_wise is None else row_wise.num_kept, ellpack_cells=layer.k * layer.n,
            ratio_m=layer.sparsity_ratio[1]),
    )


def _prune_layers(config: ScaleSimConfig, layers: tuple[ScaleSimLayer, ...]) -> tuple[ScaleSimLayer, ...]:
    """Sparsity on: every layer keeps N of every M window elements (layer-wise, chiplab.scalesim.sparsity), or
    a random N of every BlockSize per filter column (row-wise, chiplab.scalesim.rowwise)."""
    assert config.sparsity is not None
    if config.sparsity.row_wise:
        if config.filter_offset == 0:  # the same != 0 condensing as below, with N >= 1 random per column
            raise ChiplabInputError(
                f"{config.path}: FilterOffset = 0 with row-wise sparsity; SCALE-Sim 3.0.0 then takes filter address "
                "0 for a pruned weight, which chiplab does not reproduce; allowed: FilterOffset >= 1 (SCALE-Sim's "
                "examples use 10000000)")
        return tuple(dataclasses.replace(layer, row_wise_block_size=config.sparsity.block_size) for layer in layers)
    for layer in layers:
        if config.filter_offset == 0 and layer.sparsity_ratio[0] > 1:
            # operand_matrix.create_filter_matrix condenses each column to its entries != 0, so with FilterOffset
            # 0 the real filter address 0 is taken for a pruned weight and filter 0's first block is reordered.
            raise ChiplabInputError(
                f"{layer.where}: layer {layer.name!r} has the sparsity ratio {layer.sparsity_ratio[0]}:"
                f"{layer.sparsity_ratio[1]} while FilterOffset = 0 in {config.path}; SCALE-Sim 3.0.0 then takes "
                "filter address 0 for a pruned weight, which chiplab does not reproduce; allowed: FilterOffset "
                ">= 1 (SCALE-Sim's examples use 10000000), or ratios 1:M")
    return tuple(dataclasses.replace(layer, window_pruned=True) for layer in layers)


def run_scalesim(config_path: str | Path, topology_path: str | Path, output_dir: str | Path,
                 input_type: str = "conv") -> list[ScaleSimLayerResult]:
    """Read SCALE-Sim's config and topology, write its three report CSVs, return one result per layer.

    Like SCALE-Sim (``-p OUTDIR``), the reports go to ``output_dir/<run_name>/`` where run_name comes from the
    config's [general] section. ``input_type`` is SCALE-Sim's ``-i``: "conv" (default) or "gemm".
    Both bandwidth modes are reproduced: CALC (SCALE-Sim estimates the DRAM bandwidth) and USER (fixed DRAM
    bandwidths; the array stalls when prefetches cannot keep up).
    """
    config = load_config(config_path)
    layers = load_topology(topology_path, input_type)
    if config.sparsity is not None:
        layers = _prune_layers(config, layers)
    for layer in layers:
        if config.sparsity is None and layer.sparsity_ratio[0] < layer.sparsity_ratio[1]:
            n, m = layer.sparsity_ratio
            # SCALE-Sim would silently simulate the layer dense: say so instead.
            raise ChiplabInputError(
                f"{layer.where}: layer {layer.name!r} has the sparsity ratio {n}:{m}, but sparsity is off in "
                f"{config.path} ([sparsity] SparsitySupport = false or missing); allowed with sparsity off: a dense "
                "ratio N:N such as 1:1, or no ratio")
    results = []
    done: dict[ScaleSimLayer, ScaleSimLayerResult] = {}  # identical layers (depthwise channels) are solved once
    start = last_report = time.perf_counter()
    for layer_id, layer in enumerate(layers):
        key = dataclasses.replace(layer, name="")
        if key not in done:
            done[key] = simulate_layer(config, layer, layer_id)
        results.append(dataclasses.replace(done[key], layer_id=layer_id, layer_name=layer.name))
        now = time.perf_counter()
        if now - last_report >= PROGRESS_EVERY_S:
            last_report = now
            print(f"chiplab scalesim: {layer_id + 1}/{len(layers)} layers ({layer.name}), {now - start:.0f} s",
                  file=sys.stderr, flush=True)
    write_reports(Path(output_dir) / config.run_name, results, sparse=config.sparsity is not None)
    return results
