"""Which requests of a USER-mode read buffer miss SCALE-Sim's prefetch window, request by request.

The model (chiplab.scalesim.read_buffer): the operand's prefetch order is cut into ``num_sets`` sets of
``set_words`` valid words; the window is ``size`` consecutive sets (circular) from a start set; a request whose word
lies in no window set slides the window by ``step`` sets until it does, each slide one prefetch (an *event* on the
request's demand line). :func:`scan` follows a stream of requests a chunk at a time; :func:`scan_repeated` scans a
stream whose units come round unchanged once per window start only. chiplab.scalesim.jump_scan skips most requests
where their prefetch positions have a closed form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.demand import REPEATS_WITH, fold_pieces, fold_request_counts, request_streams
from chiplab.scalesim.topology import ScaleSimLayer

MIN_CHUNK, MAX_CHUNK = 1 << 10, 1 << 20  # look-ahead of the request-by-request scan

Distance = Callable[[np.ndarray, int], np.ndarray]  # (requests, window start) -> sets from the start to the word
Events = tuple[int, list[int], list[int]]  # (window start afterwards, event lines, prefetches in each)


@dataclass(frozen=True, kw_only=True)
class Window:
    """The sliding window of SCALE-Sim's hashed read buffer (read_buffer.prepare_hashed_buffer)."""

    set_words: int
    num_sets: int
    size: int  # sets in the window
    step: int  # sets per prefetch (new_prefetch)


def add_event(lines: list[int], counts: list[int], line: int, slides: int) -> None:
    if lines and lines[-1] == line:
        counts[-1] += slides
    else:
        lines.append(line)
        counts.append(slides)


def scan(stream: Iterable[tuple[np.ndarray, np.ndarray]], start: int, distance: Distance, window: Window) -> Events:
    """Follow requests (addresses, lines) through the sliding window from window start ``start``."""
    event_lines: list[int] = []
    event_counts: list[int] = []
    for addresses, lines in stream:
        pos, chunk = 0, MIN_CHUNK
        while pos < len(addresses):
            # Look ahead a chunk at a time (doubling while nothing misses) so that a miss costs O(chunk), not
            # O(rest of the fold).
            missing = np.flatnonzero(distance(addresses[pos:pos + chunk], start) >= window.size)
            if len(missing) == 0:
                pos, chunk = pos + chunk, min(2 * chunk, MAX_CHUNK)
                continue
            chunk = MIN_CHUNK
            pos += int(missing[0])
            slides = 0
            while distance(addresses[pos:pos + 1], start)[0] >= window.size:  # new_prefetch until it hits
                start = (start + window.step) % window.num_sets
                slides += 1
            add_event(event_lines, event_counts, int(lines[pos]), slides)
            pos += 1
    return start, event_lines, event_counts


def scan_repeated(num_units: int, repeats: int, lines_per_repeat: int,
                  scan_unit: Callable[[int, int], Events]) -> tuple[np.ndarray, np.ndarray]:
    """Events of a stream made of units that each come round ``repeats`` times in a row, ``lines_per_repeat``
    lines apart (demand.RepeatedStream); ``scan_unit(unit, start)`` scans one time round. Whether a request
    misses depends only on the window start when its time round begins, so once a start comes back the rounds
    since then repeat, shifted in lines, until the unit ends: at most num_sets + 1 rounds are scanned per unit."""
    start = 0
    out_lines: list[np.ndarray] = []
    out_counts: list[np.ndarray] = []
    for unit in range(num_units):
        seen: dict[int, int] = {}  # window start at the beginning of a time round -> that round
        rounds: list[tuple[np.ndarray, np.ndarray, int]] = []  # (lines relative to the round, counts, end start)
        done = 0
        while done < repeats and start not in seen:
            seen[start] = done
            start, lines, counts = scan_unit(unit, start)
            rounds.append((np.array(lines, dtype=np.int64), np.array(counts, dtype=np.int64), start))
            out_lines.append(rounds[-1][0] + done * lines_per_repeat)
            out_counts.append(rounds[-1][1])
            done += 1
        left = repeats - done
        if left == 0:
            continue
        first = seen[start]
        period = done - first
        cycle = rounds[first:]
        period_lines = np.concatenate([round_lines + i * lines_per_repeat
                                       for i, (round_lines, _, _) in enumerate(cycle)])
        period_counts = np.concatenate([round_counts for _, round_counts, _ in cycle])
        whole, part = divmod(left, period)
        offsets = (done + period * np.arange(whole, dtype=np.int64)) * lines_per_repeat
        out_lines.append((period_lines[None, :] + offsets[:, None]).ravel())
        out_counts.append(np.tile(period_counts, whole))
        for i, (round_lines, round_counts, _) in enumerate(cycle[:part]):
            out_lines.append(round_lines + (done + whole * period + i) * lines_per_repeat)
            out_counts.append(round_counts)
        start = cycle[(left - 1) % period][2]
    return np.concatenate(out_lines), np.concatenate(out_counts)


@dataclass(frozen=True, kw_only=True)
class RepeatedStream:
    """A request stream as units that each come round ``repeats`` times in a row, unchanged but for their lines.

    The stream is: for each unit u, ``repeats`` times its requests ``unit(u)`` with the demand lines shifted by
    ``lines_per_repeat`` each time. The left-edge operand (WS/OS ifmap, IS filter) is one unit, the sweep over the
    row folds, that comes round once per column fold; the OS filter block of column fold u comes round once per row
    fold; the stationary operand never repeats (one unit, the whole stream).
    """

    num_units: int
    unit: Callable[[int], Iterator[tuple[np.ndarray, np.ndarray]]]  # (addresses, lines of its first time round)
    repeats: int
    lines_per_repeat: int
    requests_per_unit: int  # the most requests any unit holds, holes included


def repeated_request_stream(layer: ScaleSimLayer, plan: FoldPlan, operand: str) -> RepeatedStream:
    """:func:`request_streams` described by its repetitions (see :class:`RepeatedStream`)."""
    key_kind = REPEATS_WITH.get((plan.dataflow, operand))
    counts = fold_request_counts(layer, plan, operand)
    lines_per_fold, num_row_folds = plan.lines_per_fold, plan.num_row_folds

    def shifted(pieces: Iterator[tuple[np.ndarray, np.ndarray]], start: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for addresses, lines in pieces:
            yield addresses, lines + start

    if key_kind == "fr":  # one sweep over the row folds, once per column fold
        def sweep(_: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
            for fr in range(num_row_folds):
                yield from shifted(fold_pieces(layer, plan, operand, 0, fr), plan.fold_start_line(0, fr))

        return RepeatedStream(num_units=1, unit=sweep, repeats=plan.num_col_folds,
                              lines_per_repeat=num_row_folds * lines_per_fold,
                              requests_per_unit=counts.col_fold_total(0))
    if key_kind == "fc":  # the block of column fold u, once per row fold
        def block(fc: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
            return shifted(fold_pieces(layer, plan, operand, fc, 0), plan.fold_start_line(fc, 0))

        return RepeatedStream(num_units=plan.num_col_folds, unit=block, repeats=num_row_folds,
                              lines_per_repeat=lines_per_fold, requests_per_unit=counts.largest())
    return RepeatedStream(num_units=1, unit=lambda _: request_streams(layer, plan, operand), repeats=1,
                          lines_per_repeat=0, requests_per_unit=counts.total())
