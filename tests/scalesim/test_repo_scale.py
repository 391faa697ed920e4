"""Issue 17: SCALE-Sim's repository files at any array size -- the shortcuts that make big layers fast and small.

Expected numbers: SCALE-Sim 3.0.0's own reports for the ``scale_*`` golden cases (tests/golden/scalesim/cases.toml,
made by regenerate.py), which exercise each shortcut on layers SCALE-Sim finishes (periodic OFMAP drains, the CALC
tumbling window over overlapping windows, USER-mode sweeps that repeat); here they are rerun with tiny pieces,
caches and chunks so that every piece boundary is crossed. The closed forms are also checked against the plain
replays they replace (bisection, line-by-line drains, scanning every round), which the goldens check in turn.
Speed is measured by benchmarks/bench_scalesim_repo.py, not asserted here.
"""

from __future__ import annotations

import dataclasses
import random
import tomllib
import tracemalloc
from pathlib import Path

import pytest

from chiplab.scalesim import (
    ScaleSimLayer,
    demand,
    dram,
    fold_sharing,
    operands,
    read_buffer,
    run_scalesim,
    tumbling,
)
from chiplab.scalesim.compute import plan_layer
from chiplab.scalesim.reports import REPORT_NAMES
from chiplab.scalesim.run import operand_misses

GOLDEN = Path(__file__).parents[1] / "golden" / "scalesim"
SCALE_CASES = [c for c in tomllib.loads((GOLDEN / "cases.toml").read_text())["case"] if c["name"].startswith("scale_")]


def _random_layer(rng: random.Random) -> ScaleSimLayer:
    height, width = rng.randint(1, 30), rng.randint(1, 40)
    return ScaleSimLayer(name="x", ifmap_height=height, ifmap_width=width, filter_height=rng.randint(1, min(height, 4)),
                         filter_width=rng.randint(1, min(width, 4)), num_channels=rng.randint(1, 5),
                         num_filters=rng.randint(1, 40), stride=rng.randint(1, 3))


@pytest.mark.slow
@pytest.mark.parametrize("cache_bytes", [0, 1 << 26])
@pytest.mark.parametrize("case", SCALE_CASES, ids=[c["name"] for c in SCALE_CASES])
def test_tiny_pieces_still_match_scalesim_byte_for_byte(case, cache_bytes, tmp_path, monkeypatch):
    """Expected: SCALE-Sim 3.0.0's report files for the case, byte for byte, whatever the piece sizes."""
    monkeypatch.setattr(demand, "CELLS_PER_PIECE", 7)
    monkeypatch.setattr(demand, "CACHE_BYTES", cache_bytes)
    monkeypatch.setattr(tumbling, "MIN_LOOK_AHEAD", 5)
    monkeypatch.setattr(fold_sharing, "CELLS_PER_CHUNK", 7)
    case_dir = GOLDEN / "cases" / case["name"]
    run_scalesim(case_dir / "scalesim.cfg", case_dir / "topology.csv", tmp_path, case["input_type"])
    for name in REPORT_NAMES:
        assert (tmp_path / case["name"] / name).read_bytes() == (case_dir / name).read_bytes(), name


def test_line_of_write_inverts_the_write_count():
    """Expected: the smallest line whose cumulative OFMAP write count reaches e (bisection over the count)."""
    rng = random.Random(17)
    for _ in range(300):
        plan = plan_layer(_random_layer(rng), rng.choice(["ws", "os", "is"]), rng.randint(1, 12), rng.randint(1, 12))
        before, line_of = demand.ofmap_writes_before_line(plan), demand.ofmap_line_of_write(plan)
        total = before(plan.num_lines)
        for e in {1, total, *(rng.randint(1, total) for _ in range(10))}:
            expected = dram._find_first(0, plan.num_lines, lambda i, e=e, before=before: before(i + 1) >= e)
            assert line_of(e) == expected


def test_ofmap_replay_shortcuts_equal_the_drain_by_drain_replay():
    """Expected: the replay that bisects for every drain's line (the one the goldens first checked), with read
    stalls, small SRAMs (many drains, periodic) and drain rates below and above the array width."""
    rng = random.Random(1717)
    for _ in range(200):
        plan = plan_layer(_random_layer(rng), rng.choice(["ws", "os", "is"]), rng.randint(1, 12), rng.randint(1, 12))
        total = demand.ofmap_writes_before_line(plan)(plan.num_lines)
        events = sorted(rng.sample(range(plan.num_lines), min(plan.num_lines, rng.randint(0, 3))))
        stalls = [rng.randint(0, 20) for _ in events]
        kwargs = dict(writes_before_line=demand.ofmap_writes_before_line(plan), num_lines=plan.num_lines,
                      sram_words=rng.randint(2, max(2, total // 3)),
                      drain_words_per_cycle=rng.choice([plan.num_cols, rng.randint(1, 20)]),
                      read_event_lines=events, read_stall=lambda index, cycle, stalls=stalls: stalls[index])
        plain_stalls, plain_traffic = dram.simulate_ofmap_buffer(**kwargs)
        fast_stalls, fast_traffic = dram.simulate_ofmap_buffer(
            **kwargs, line_of_write=demand.ofmap_line_of_write(plan), max_writes_per_line=plan.num_cols)
        assert fast_traffic == plain_traffic
        assert (fast_stalls.lines, fast_stalls.cycles, fast_stalls.ofmap_waits) == (
            plain_stalls.lines, plain_stalls.cycles, plain_stalls.ofmap_waits)


@pytest.mark.slow
def test_user_scan_by_rounds_equals_scanning_every_round():
    """Expected: the prefetch events found by following every request of the layer (no repetition used)."""
    rng = random.Random(71)
    for _ in range(40):
        layer = _random_layer(rng)
        plan = plan_layer(layer, rng.choice(["ws", "os", "is"]), rng.randint(1, 8), rng.randint(1, 8))
        for operand in ("ifmap", "filter"):
            sram, bandwidth = rng.randint(20, 300), rng.randint(1, 12)
            plain = dataclasses.replace(read_buffer.dense_source(layer, plan, operand), repeated=None)
            by_rounds = read_buffer.user_read_buffer(layer, plan, operand, sram_words=sram, words_per_cycle=bandwidth)
            every = read_buffer.user_read_buffer(layer, plan, operand, sram_words=sram, words_per_cycle=bandwidth,
                                                 source=plain)
            assert by_rounds.event_lines.tolist() == every.event_lines.tolist()
            assert by_rounds.event_counts.tolist() == every.event_counts.tolist()


def test_tumbling_window_memory_is_bounded_by_the_piece_not_the_fold(monkeypatch):
    """A 3x3 convolution whose one fold holds 313,632 requests (8 window elements x 39,204 pixels): the replay's
    peak memory stays under a bound computed from its sizes -- 2-byte stamps per ifmap word, one piece of requests
    with its temporaries, per-fold counts -- far below the ~30 MB the whole fold would take at 96 bytes a request.
    The answer is the same as with the default pieces."""
    layer = ScaleSimLayer(name="big_fold", ifmap_height=200, ifmap_width=200, filter_height=3, filter_width=3,
                          num_channels=3, num_filters=8, stride=1)
    plan = plan_layer(layer, "ws", 8, 8)
    assert operands.ifmap_has_repeats(layer) and plan.num_rows * layer.m == 313_632
    window = 5_000  # fewer words than the layer touches: the stream must be followed
    expected = operand_misses(layer, plan, "ifmap", window)
    piece = 1 << 12
    monkeypatch.setattr(demand, "CELLS_PER_PIECE", piece)
    monkeypatch.setattr(demand, "CACHE_BYTES", 0)
    tracemalloc.start()
    try:
        got = operand_misses(layer, plan, "ifmap", window)
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == expected
    address_space = layer.ifmap_height * layer.ifmap_width * layer.num_channels
    bound_bytes = 2 * address_space + 256 * piece + 64 * plan.num_folds + (1 << 20)
    assert peak_bytes < bound_bytes < 96 * plan.num_rows * layer.m
