"""chiplab.scalesim against SCALE-Sim 3.0.0 itself.

Expected numbers: the COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv that SCALE-Sim
3.0.0 (PyPI ``scalesim``, numpy 2.3, Python 3.11) wrote for the inputs in tests/golden/scalesim/cases/<case>/;
tests/golden/scalesim/regenerate.py reruns SCALE-Sim on cases.toml to recreate them. Every column of every report
is compared exactly, DRAM columns included (chiplab reproduces SCALE-Sim's CALC-mode DRAM model exactly; see
tests/golden/scalesim/CONVENTIONS.md). The memory models are also checked against line-by-line transcriptions of
SCALE-Sim's own buffer code on random inputs, which reach corners (stalls) that real layers never do.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chiplab.scalesim import ScaleSimLayer, compute_layer, operands, run_scalesim
from chiplab.scalesim.dram import StallTimeline, read_buffer_traffic, simulate_ofmap_buffer
from chiplab.scalesim.reports import REPORT_NAMES
from chiplab.scalesim.run import operand_misses
from chiplab.scalesim.tumbling import tumbling_window_misses
from chiplab.systolic.dataflow import Dataflow

GOLDEN = Path(__file__).parents[1] / "golden" / "scalesim"
CASES = tomllib.loads((GOLDEN / "cases.toml").read_text())["case"]
USER_CASES = [c for c in CASES if c.get("mode", "CALC") == "USER"]


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    # SCALE-Sim's layout: values joined by ", ", then a trailing comma.
    header, *rows = [line.removesuffix(",").split(", ") for line in path.read_text().splitlines()]
    return header, rows


@pytest.mark.filterwarnings("ignore::chiplab.scalesim.ScaleSimInputWarning")  # the repo_* rows' '#dw' notes
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reports_match_scalesim_exactly(case, tmp_path):
    """Expected: SCALE-Sim 3.0.0's own reports for this case (regenerate.py), compared column by column.

    CALC and USER mode alike: USER-mode cases (InterfaceBandwidth: USER) stall on starved reads and drains, and
    their stall cycles, total cycles, DRAM start/stop cycles and DRAM counts must match too."""
    case_dir = GOLDEN / "cases" / case["name"]
    results = run_scalesim(case_dir / "scalesim.cfg", case_dir / "topology.csv", tmp_path, case["input_type"])
    assert len(results) == len(_rows(case_dir / REPORT_NAMES[0])[1])
    for name in REPORT_NAMES:
        expected_header, expected = _rows(case_dir / name)
        got_header, got = _rows(tmp_path / case["name"] / name)
        assert got_header == expected_header, name
        assert len(got) == len(expected), name
        for got_row, expected_row in zip(got, expected, strict=True):
            for column, got_value, expected_value in zip(expected_header, got_row, expected_row, strict=True):
                assert got_value == expected_value, f"{name}, layer {expected_row[0]}, column {column!r}"
        # ... and byte for byte (separators, trailing commas, line ends).
        assert (tmp_path / case["name"] / name).read_bytes() == (case_dir / name).read_bytes()


# ---- the memory models against transcriptions of SCALE-Sim's buffer code -----------------------------------------


def _scalesim_write_buffer(writes_per_line: list[int], sram_words: int, width: int, read_stall=None):
    """scalesim/memory/write_buffer.py (service_writes, empty_drain_buf, empty_all_buffers) driven the way
    double_buffered_scratchpad.service_memory_requests drives it, one word at a time; trace lines are kept as
    their number of valid words. ``read_stall(line, cycle)`` stands for the read buffers' stall on that line
    (USER mode); the line adds the largest of the stalls. Returns (stall cycles, DRAM start, DRAM stop, DRAM
    writes)."""
    active = math.ceil(sram_words * 0.5)
    drain_buf = sram_words - active
    lines_per_drain = math.ceil(drain_buf / width)
    free, drain_end, trace, line_idx, drained, accesses, cycles = sram_words, 0, [], 0, 0, 0, []

    def drain(start):
        nonlocal drained, accesses, free
        chunk = trace[drained:min(drained + lines_per_drain, len(trace))]
        words = len(chunk) * width - (width - chunk[-1])  # only the last line's -1s are subtracted
        accesses += words
        free += words
        drained += len(chunk)
        cycles.extend(range(start, start + len(chunk)))
        return start + len(chunk) - 1

    stalls, out_cycle = 0, 0
    for line, count in enumerate(writes_per_line):
        current, offset = line + stalls, 0
        for _ in range(count):
            line_idx, free = line_idx + 1, free - 1  # store_to_trace_mat_cache
            if line_idx == width:
                trace.append(width)
                line_idx = 0
            if current < drain_end:
                if not free > 0:
                    offset += max(drain_end - current, 0)
                    current = drain_end
            elif free < sram_words - drain_buf:
                if line_idx:  # append_to_trace_mat(force=True)
                    trace.append(line_idx)
                    line_idx = 0
                drain_end = drain(current)
        stalls += max(offset, read_stall(line, line + stalls) if read_stall else 0)
        out_cycle = current
    if line_idx:
        trace.append(line_idx)
    cycle = out_cycle
    while drained < len(trace):
        cycle = drain(cycle) + 1
    return stalls, min(cycles), max(cycles), accesses


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40).flatmap(lambda width: st.tuples(
    st.just(width), st.integers(2, 300),
    st.lists(st.integers(0, 5 * width), min_size=1, max_size=50).filter(lambda w: sum(w) > 0))))
def test_ofmap_write_buffer_event_model_matches_scalesim_logic(args):
    """Arbitrary per-line write counts (wider than the drain, so stalls do happen) through the event model and
    through the word-by-word transcription of write_buffer.py: same stalls, DRAM window and DRAM writes."""
    width, sram_words, writes = args
    cumulative = np.concatenate([[0], np.cumsum(writes)])
    stalls, traffic = simulate_ofmap_buffer(
        writes_before_line=lambda i: int(cumulative[min(i, len(writes))]), num_lines=len(writes),
        sram_words=sram_words, drain_words_per_cycle=width)
    got = (stalls.total_cycles, traffic.start_cycle, traffic.stop_cycle, traffic.num_accesses)
    assert got == _scalesim_write_buffer(writes, sram_words, width)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12).flatmap(lambda width: st.tuples(
    st.just(width), st.integers(2, 120),
    st.lists(st.tuples(st.integers(0, 4 * width), st.integers(-30, 60)), min_size=1, max_size=60).filter(
        lambda w: sum(x for x, _ in w) > 0))))
def test_ofmap_replay_with_read_stalls_matches_scalesim_logic(args):
    """USER mode: read-buffer stalls on some lines (a stall that depends on the cycle the line starts at, as
    SCALE-Sim's prefetch lateness does) interleaved with the write buffer's own stalls and drains. Expected: the
    line-by-line transcription above, which adds max(write stall, read stall) per line."""
    width, sram_words, lines = args
    writes = [w for w, _ in lines]
    events = [i for i, (_, r) in enumerate(lines) if r != 0]

    def stall_at(line: int, cycle: int) -> int:  # lateness against a fixed schedule, like a prefetch chain
        return lines[line][1] - cycle // 7 if lines[line][1] else 0

    cumulative = np.concatenate([[0], np.cumsum(writes)])
    stalls, traffic = simulate_ofmap_buffer(
        writes_before_line=lambda i: int(cumulative[min(i, len(writes))]), num_lines=len(writes),
        sram_words=sram_words, drain_words_per_cycle=width, read_event_lines=events,
        read_stall=lambda index, cycle: stall_at(events[index], cycle))
    got = (stalls.total_cycles, traffic.start_cycle, traffic.stop_cycle, traffic.num_accesses)
    assert got == _scalesim_write_buffer(writes, sram_words, width, stall_at)


def _scalesim_estimate_read_buffer(lines: list[list[int]], sram_words: int):
    """scalesim/memory/read_buffer_estimate_bw.py (service_reads, manage_prefetches, complete_all_prefetches)
    reduced to what reaches the report: (DRAM start, DRAM stop, DRAM reads). Request cycle = line index."""
    per_set = sram_words // 100
    window_sets, prefetches, sets, current = 50, [], [], set()
    first_cycle = next(i for i, line in enumerate(lines) if max(line) > -1)
    read_start = 0
    for cycle, line in enumerate(lines):
        for addr in line:
            if addr == -1 or any(addr in s for s in sets[read_start:]) or addr in current:
                continue
            current.add(addr)
            if len(current) == per_set:
                sets.append(current)
                current = set()
                if len(sets) == read_start + window_sets:
                    prefetches.append(cycle)
                    read_start += window_sets
    reads = sum(len(s) for s in sets) + len(current)
    if not prefetches:
        num_sets = len(sets) + (1 if current else 0)
        return -math.ceil(num_sets * per_set / 10), -1, reads
    return first_cycle - math.ceil(window_sets * per_set / 10), prefetches[-1] + 1, reads


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([100, 200, 350, 1024]), st.integers(5, 300),
       st.lists(st.lists(st.integers(-1, 299), min_size=1, max_size=8), min_size=1, max_size=80))
def test_read_buffer_tumbling_window_matches_scalesim_logic(sram_words, space, raw_lines):
    """Random request streams (repeats and holes) through chiplab's tumbling-window model and through a
    transcription of read_buffer_estimate_bw.py: same DRAM start, stop and reads."""
    lines = [[a % space if a >= 0 else -1 for a in line] for line in raw_lines]
    if all(max(line) == -1 for line in lines):
        lines[0][0] = 0
    addresses = np.array([a for line in lines for a in line if a >= 0])
    line_ids = np.array([i for i, line in enumerate(lines) for a in line if a >= 0])
    first = next(i for i, line in enumerate(lines) if max(line) > -1)
    traffic = read_buffer_traffic(
        sram_words=sram_words, num_distinct_words=len(set(addresses.tolist())), first_request_cycle=first,
        stream_misses=lambda window: tumbling_window_misses([(addresses, line_ids)], window, space, True),
        stalls=StallTimeline(lines=(), cycles=()))
    got = (traffic.start_cycle, traffic.stop_cycle, traffic.num_accesses)
    assert got == _scalesim_estimate_read_buffer(lines, sram_words)


def test_user_mode_goldens_exercise_stalls():
    """The USER-mode goldens must reach stalls from starved reads and drains, or the parity test proves little:
    SCALE-Sim 3.0.0's own COMPUTE_REPORT (column 'Stall Cycles') shows stalls in most of them."""
    stalled = [c["name"] for c in USER_CASES
               if any(int(row[3]) > 0 for row in _rows(GOLDEN / "cases" / c["name"] / REPORT_NAMES[0])[1])]
    assert len(stalled) >= len(USER_CASES) // 2, stalled


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(list(Dataflow)), st.sampled_from(["ifmap", "filter"]), st.integers(1, 6), st.integers(1, 6),
       st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(1, 12), st.integers(1, 3), st.integers(1, 3),
                 st.integers(1, 3), st.integers(1, 3)), st.integers(1, 40))
def test_every_request_misses_shortcut_matches_the_replay(dataflow, operand, rows, cols, dims, window):
    """CALC mode's shortcut (every request misses, only the last window line is needed) against the full replay
    of the tumbling window (itself checked against a transcription of SCALE-Sim above), on layers where it
    applies and where it does not (overlapping or off-input windows: the shortcut is then not taken)."""
    h, w, c, r, s, n, stride = dims
    layer = ScaleSimLayer(name="x", ifmap_height=h + r, ifmap_width=w + s, filter_height=r, filter_width=s,
                          num_channels=c, num_filters=n, stride=stride)
    distinct = operands.num_distinct_ifmap_words(layer) if operand == "ifmap" else layer.k * layer.n
    assume(distinct >= window)  # read_buffer_traffic follows the stream only when the words overflow a window
    plan = compute_layer(layer, dataflow, rows, cols).plan
    fast_misses, fast_lines = operand_misses(layer, plan, operand, window)
    slow_misses, slow_lines = operand_misses(layer, plan, operand, window, replay=True)
    assert fast_misses == slow_misses
    assert fast_lines[-1:] == slow_lines[-1:]
