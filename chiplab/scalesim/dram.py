"""SCALE-Sim 3.0.0's memory side in CALC (``InterfaceBandwidth: CALC``) mode: stalls and DRAM traffic.

* **OFMAP write buffer** (scalesim/memory/write_buffer.py). Each output word is stored as it is produced; once more
  than half the SRAM is occupied and no drain is in flight, up to ``ceil(half / C)`` buffered lines of C words go
  to DRAM, one line per cycle (CALC mode drains at C = ArrayWidth words per cycle). Free space is credited at the
  *start* of a drain. The array stalls only if the buffer is full while a drain is still running. chiplab replays
  this event by event (drains and stalls), locating the word that triggers each one from closed-form per-line
  write counts, so the cost is O(number of drains), not O(cycles).
* **IFMAP/filter read buffers** (read_buffer_estimate_bw.py) never stall in CALC mode. They count DRAM reads with
  a *tumbling window* of 50 sets of ``floor(SRAM words / 100)`` missed words, forgotten when full; the DRAM
  start/stop cycles come from when the windows fill. Closed form if the operand's distinct words fit in one
  window; otherwise chiplab.scalesim.tumbling counts the misses.
"""

from __future__ import annotations

import bisect
import collections
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# single_layer_sim.run, CALC mode: "The number 10 elems per cycle is arbitrary".
READ_FILL_WORDS_PER_CYCLE = 10
SETS_PER_WINDOW = 50  # int(active_buf_frac * 100) with active_buf_frac = 0.5


@dataclass(frozen=True, kw_only=True)
class StallTimeline:
    """Stall cycles the OFMAP buffer inserts, as (demand line, cycles) events in line order."""

    lines: tuple[int, ...]
    cycles: tuple[int, ...]
    ofmap_waits: dict[int, int] = field(default_factory=dict)  # line -> cycles the OFMAP buffer waited in it

    @property
    def total_cycles(self) -> int:
        return sum(self.cycles)

    @functools.cached_property
    def _cumulative(self) -> list[int]:
        return [0, *itertools.accumulate(self.cycles)]

    def before(self, line: int) -> int:
        """Stall cycles added before demand line ``line`` starts (what its reads see)."""
        return self._cumulative[bisect.bisect_left(self.lines, line)]

    def write_cycle(self, line: int) -> int:
        """The cycle at which demand line ``line``'s OFMAP writes are served (write_buffer.service_writes)."""
        return line + self.before(line) + self.ofmap_waits.get(line, 0)


@dataclass(frozen=True, kw_only=True)
class DramTraffic:
    """One operand's DRAM columns of the DETAILED_ACCESS_REPORT."""

    start_cycle: int
    stop_cycle: int
    num_accesses: int  # DRAM reads (IFMAP, filter) or writes (OFMAP)


def _find_first(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """Smallest x in [lo, hi) with ok(x) (ok is monotone: False ... False True ... True), or hi."""
    return lo + bisect.bisect_left(range(lo, hi), True, key=ok)


def simulate_ofmap_buffer(*, writes_before_line: Callable[[int], int], num_lines: int, sram_words: int,
                          drain_words_per_cycle: int, read_event_lines: Sequence[int] = (),
                          read_stall: Callable[[int, int], int] | None = None,
                          line_of_write: Callable[[int], int] | None = None,
                          max_writes_per_line: int | None = None) -> tuple[StallTimeline, DramTraffic]:
    """Replay write_buffer.service_writes / empty_drain_buf / empty_all_buffers event by event.

    ``writes_before_line(i)`` is the number of valid OFMAP writes in demand lines 0..i-1 (non-decreasing);
    ``line_of_write(e)``, its inverse (the line of the e-th write; found by bisection if not given).
    ``max_writes_per_line`` (the array width) lets the replay skip line arithmetic between drains that cannot
    overlap (see the word-only loop below); without it every drain is located on its line.
    USER mode adds the read buffers' stalls: ``read_event_lines`` (ascending) are the demand lines where a read
    buffer must prefetch, and ``read_stall(index, cycle)`` the stall that the index-th of them adds when its line
    starts at ``cycle``. double_buffered_scratchpad.service_memory_requests adds, per line, the *largest* of the
    IFMAP, filter and OFMAP stalls (not their sum), and every later line starts that much later.
    """
    total = writes_before_line(num_lines)
    width = drain_words_per_cycle
    active = math.ceil(sram_words * 0.5)  # write_buffer.set_params: active_buf_size
    drain_lines = math.ceil((sram_words - active) / width)  # empty_drain_buf: lines_to_fill_dbuf

    def line_of(element: int) -> int:  # demand line holding the element-th write (1-based)
        if line_of_write is not None:
            return line_of_write(element)
        return _find_first(0, num_lines, lambda i: writes_before_line(i + 1) >= element)

    free, drain_end, done = sram_words, 0, 0
    stall_lines: list[int] = []
    stall_cycles: list[int] = []
    wait_lines: dict[int, int] = {}  # line -> cycles the OFMAP buffer itself waited in it (its out-cycle offset)
    # Lines before `line_now` are settled: `base` stall cycles precede it. Inside it the OFMAP buffer has waited
    # `wait` cycles and the read buffers `read` cycles; the line adds max(wait, read).
    line_now, base, wait, read, next_read = 0, 0, 0, 0, 0

    def enter(line: int) -> None:
        nonlocal line_now, base, wait, read, next_read
        if line != line_now:
            added = max(wait, read)
            if added > 0:
                stall_lines.append(line_now)
                stall_cycles.append(added)
            if wait:
                wait_lines[line_now] = wait
            line_now, base, wait, read = line, base + added, 0, 0
        if next_read < len(read_event_lines) and read_event_lines[next_read] == line:
            assert read_stall is not None, "read events come with their stall function"
            read = read_stall(next_read, line + base)
            next_read += 1

    def cycle_of(line: int) -> int:  # exact for lines up to the next read event
        return line + base + (wait if line == line_now else max(wait, read))

    def read_first(line: int) -> bool:
        # A read event comes before `line`: settle it first (the caller then starts its search again).
        if next_read < len(read_event_lines) and read_event_lines[next_read] < line:
            enter(read_event_lines[next_read])
            return True
        return False

    enter(0)
    partial_fill: collections.deque[tuple[int, int]] = collections.deque()  # (trace line, words) of lines closed
    # early by a forced append and not drained yet, ascending
    run_start, run_first_line, drained_lines, num_trace_lines = 0, 0, 0, 0
    drains: list[tuple[int, int]] = []  # (start cycle, lines)
    accesses, last_drain_lines = 0, 0

    def close_run(upto: int) -> int:
        # append_to_trace_mat(force=True): the half-filled line becomes a trace line of its own.
        nonlocal run_start, run_first_line
        words = upto - run_start
        new_lines = -(-words // width)
        if words % width:
            partial_fill.append((run_first_line + new_lines - 1, words % width))
        run_start, run_first_line = upto, run_first_line + new_lines
        return run_first_line

    def drain(cycle: int | None) -> int:
        # empty_drain_buf: only the *last* line of the chunk is checked for -1 padding, so a short line in the
        # middle of a chunk counts as a full one (in the DRAM writes and the credited free space).
        nonlocal drained_lines, accesses, last_drain_lines
        n = last_drain_lines = min(drain_lines, num_trace_lines - drained_lines)
        last = drained_lines + n - 1
        while partial_fill and partial_fill[0][0] < last:  # short lines inside the chunk count as full
            partial_fill.popleft()
        words = n * width
        if partial_fill and partial_fill[0][0] == last:
            words -= width - partial_fill.popleft()[1]
        drained_lines += n
        accesses += words
        if cycle is not None:
            drains.append((cycle, n))
        return words

    while True:
        if max_writes_per_line is not None and drains and wait == 0:
            # Word-only loop. A trigger `first` lies on a line at or past the running drain's end when at least
            # (lines drained - 1) full lines of writes separate it from the previous trigger `done` (no line holds
            # more than max_writes_per_line writes, and stalls only spread lines further apart in cycles): then
            # the buffer cannot fill during the drain, and which words trigger the drains depends on the words
            # alone, not on time -- read stalls included. Only the last drain of the run needs its cycle: the
            # read events before it are settled in line order once the run ends.
            # The loop's state is periodic once the buffer settles: when a state repeats, whole periods of drains
            # are skipped at once (all but the last period that fits, which runs normally).
            skipped = 0
            seen: dict[tuple[object, ...], tuple[int, int, int, int]] = {}
            while True:
                first = done + max(1, free - active + 1)
                if first > total or first - done < (last_drain_lines - 1) * max_writes_per_line:
                    break
                free -= first - done
                done = first
                num_trace_lines = close_run(done)
                free += drain(None)
                skipped += 1
                state = (free, last_drain_lines, num_trace_lines - drained_lines,
                         tuple((line - drained_lines, words) for line, words in partial_fill))
                now = (skipped, done, accesses, drained_lines)
                if state in seen:
                    period_words, period_accesses, period_lines = (
                        now[1] - seen[state][1], now[2] - seen[state][2], now[3] - seen[state][3])
                    periods = (total - done) // period_words - 1
                    if periods > 0:
                        done += periods * period_words
                        accesses += periods * period_accesses
                        drained_lines += periods * period_lines
                        num_trace_lines += periods * period_lines
                        run_start, run_first_line = done, num_trace_lines
                        partial_fill = collections.deque((line + periods * period_lines, words)
                                                         for line, words in partial_fill)
                    seen.clear()
                elif len(seen) < 64:
                    seen[state] = now
            if skipped:
                line = line_of(done)
                while next_read < len(read_event_lines) and read_event_lines[next_read] < line:
                    enter(read_event_lines[next_read])
                enter(line)
                cycle = cycle_of(line)
                drains.append((cycle, last_drain_lines))
                drain_end = cycle + last_drain_lines - 1
        first = done + max(1, free - active + 1)  # the write that leaves the buffer more than half full
        if first > total:
            break
        line = line_of(first)
        if line < line_now:
            # That write came on a line already passed (while a drain was in flight): the next candidate is the
            # first write of the current line.
            first = max(first, writes_before_line(line_now) + 1)
            if first > total:
                break
            line = line_of(first)
        if read_first(line):
            continue
        if cycle_of(line) < drain_end:  # a drain is still in flight
            # The first line whose cycle reaches drain_end (exact only up to the next read event).
            target = max(line + 1, drain_end - (base + max(wait, read)))
            full = done + max(1, free)  # the write that leaves no free space
            full_line = line_of(full) if full <= total else num_lines
            if full <= total and full_line < target:
                if read_first(full_line):
                    continue
                if cycle_of(full_line) < drain_end:
                    # service_writes: buffer full while a drain runs -> wait for it (the whole array stalls).
                    enter(full_line)
                    wait += drain_end - cycle_of(full_line)
                    free -= full - done
                    done = full
                    continue
            if read_first(target):
                continue
            first = writes_before_line(min(target, num_lines)) + 1  # no stall: drain at the first write there
            if first > total:
                break
            line = line_of(first)
            if read_first(line):
                continue
        enter(line)
        free -= first - done
        done = first
        cycle = cycle_of(line)
        num_trace_lines = close_run(done)
        words = drain(cycle)
        free += words
        drain_end = cycle + drains[-1][1] - 1

    while next_read < len(read_event_lines):
        enter(read_event_lines[next_read])
    enter(num_lines - 1)
    last_cycle = num_lines - 1 + base + wait  # the last line's OFMAP out cycle = SCALE-Sim's total_cycles
    enter(num_lines)  # settle the last line too
    # simulator -> empty_all_buffers(last OFMAP cycle): drain whatever is left, chunk after chunk.
    num_trace_lines = close_run(total)
    cycle = last_cycle
    while drained_lines < num_trace_lines:
        drain(cycle)
        cycle += drains[-1][1]
    start = min(c for c, _ in drains)
    stop = max(c + n - 1 for c, n in drains)
    return (StallTimeline(lines=tuple(stall_lines), cycles=tuple(stall_cycles), ofmap_waits=wait_lines),
            DramTraffic(start_cycle=start, stop_cycle=stop, num_accesses=accesses))


def read_buffer_traffic(*, sram_words: int, num_distinct_words: int, first_request_cycle: int,
                        stream_misses: Callable[[int], tuple[int, list[int]]] | None,
                        stalls: StallTimeline) -> DramTraffic:
    """DRAM columns of an IFMAP or filter read buffer (read_buffer_estimate_bw.ReadBufferEstimateBw).

    ``stream_misses(window_words)`` must return (total misses, demand lines of every window-completing miss)
    for the operand's request stream; it is only called when the distinct words do not fit in one window.
    """
    words_per_set = sram_words // 100  # set_params: num_items_per_set = floor(total_size_elems / 100)
    window = SETS_PER_WINDOW * words_per_set
    window_lines: list[int] = []
    if num_distinct_words < window:
        misses = num_distinct_words
    else:
        assert stream_misses is not None
        misses, window_lines = stream_misses(window)
    if not window_lines:
        # complete_all_prefetches, first branch: one prefetch of every set, timed to end at cycle -2 and
        # answered one cycle later (read_port latency 1): the trace runs from -cycles to -1.
        num_sets = -(-misses // words_per_set)
        fill_cycles = math.ceil(num_sets * words_per_set / READ_FILL_WORDS_PER_CYCLE)
        return DramTraffic(start_cycle=-fill_cycles, stop_cycle=-1, num_accesses=misses)
    # manage_prefetches: the first full window is fetched so that it ends 2 cycles before the first request;
    # every later window is fetched between the cycles at which the previous two windows filled, and the final
    # (partial) one ends at the cycle the last full window filled; responses come 1 cycle after each request.
    fill_cycles = math.ceil(window / READ_FILL_WORDS_PER_CYCLE)
    last_line = window_lines[-1]
    return DramTraffic(start_cycle=first_request_cycle - fill_cycles,
                       stop_cycle=last_line + stalls.before(last_line) + 1, num_accesses=misses)
