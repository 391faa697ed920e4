"""SCALE-Sim 3.0.0's N:M sparsity in chiplab.scalesim, layer-wise and row-wise (issue 17).

Expected numbers: the four reports (COMPUTE, BANDWIDTH with its metadata column, DETAILED_ACCESS and
SPARSE_REPORT.csv) that SCALE-Sim 3.0.0 itself wrote for the ``sparse_rep`` cases of
tests/golden/scalesim/cases.toml (regenerate.py); compared byte for byte, no tolerances. The pruning rule is also
checked against a direct numpy transcription of SCALE-Sim's operand_matrix.create_filter_matrix on small cases, and
the row-wise ratios against numpy's legacy generator seeded as SCALE-Sim seeds it.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from chiplab.errors import ChiplabInputError
from chiplab.scalesim import load_config, run_scalesim
from chiplab.scalesim.rowwise import column_ratios
from chiplab.scalesim.sparse_reports import SPARSE_REPORT_NAME
from chiplab.scalesim.sparsity import filter_storage, kept_element, last_kept_at_most, num_kept

GOLDEN = Path(__file__).parents[1] / "golden" / "scalesim"
SPARSE_CASES = [c for c in tomllib.loads((GOLDEN / "cases.toml").read_text())["case"] if "sparse_rep" in c]
ROW_WISE_CASES = [c for c in SPARSE_CASES if c.get("optimized_mapping")]
REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv", SPARSE_REPORT_NAME)


# repo_rows_* cases are rows as users write them (extra fields SCALE-Sim ignores): the reader's warning about them is
# tested in test_topology_rows.py; here only the reports count.
@pytest.mark.filterwarnings("ignore::chiplab.scalesim.ScaleSimInputWarning")
@pytest.mark.parametrize("case", SPARSE_CASES, ids=[c["name"] for c in SPARSE_CASES])
def test_sparse_reports_match_scalesim_exactly(case, tmp_path):
    """Expected: SCALE-Sim 3.0.0's own four reports for this case, byte for byte."""
    case_dir = GOLDEN / "cases" / case["name"]
    run_scalesim(case_dir / "scalesim.cfg", case_dir / "topology.csv", tmp_path, case["input_type"])
    for name in REPORTS:
        got = (tmp_path / case["name"] / name).read_text()
        expected = (case_dir / name).read_text()
        for got_line, expected_line in zip(got.splitlines(), expected.splitlines(), strict=True):
            assert got_line == expected_line, name
        assert (tmp_path / case["name"] / name).read_bytes() == (case_dir / name).read_bytes(), name


def test_sparse_cases_cover_every_dataflow_representation_and_mode():
    covered = {(c["dataflow"], c["sparse_rep"], c.get("mode", "CALC")) for c in SPARSE_CASES}
    assert {d for d, _, _ in covered} == {"ws", "os", "is"}
    assert {r for _, r, _ in covered} == {"csr", "csc", "ellpack_block"}
    assert {m for _, _, m in covered} == {"CALC", "USER"}


def test_row_wise_cases_cover_block_sizes_and_both_layer_kinds():
    assert {c["block_size"] for c in ROW_WISE_CASES} >= {2, 3, 4, 8}  # 3: odd, h = 1 of every 3
    assert {c["input_type"] for c in ROW_WISE_CASES} == {"gemm", "conv"}
    assert len({c["seed"] for c in ROW_WISE_CASES}) >= 5  # several random sequences
    assert {c.get("mode", "CALC") for c in ROW_WISE_CASES} == {"CALC", "USER"}


@pytest.mark.parametrize(("num_filters", "block_size", "seed"), [(12, 4, 40), (33, 8, 7), (5, 2, 123), (70, 16, 0)])
def test_row_wise_ratios_are_scalesims_random_sequence(num_filters, block_size, seed):
    # operand_matrix.create_filter_matrix: np.random.seed(seed), then one np.random.randint(1, B // 2 + 1) per filter
    # column, on numpy's global legacy generator (saved and restored here).
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        expected = [np.random.randint(1, block_size // 2 + 1) for _ in range(num_filters)]
    finally:
        np.random.set_state(state)
    assert column_ratios(num_filters, block_size, seed).tolist() == expected


def _scalesim_condensed_rows(k: int, n: int, m: int) -> list[int]:
    """operand_matrix.create_filter_matrix (OptimizedMapping false), transcribed for one filter column with
    non-zero addresses 1..k: tile "N ones, M - N zeros", multiply, keep each block's non-zeros padded to N, cut
    trailing zero rows. Returns the dense window element (address - 1) of every kept row."""
    pattern = np.tile(np.concatenate([np.ones(n, dtype=int), np.zeros(m - n, dtype=int)]), -(-k // m))[:k]
    column = (np.arange(k) + 1) * pattern
    condensed: list[int] = []
    for start in range(0, k, m):
        block = column[start:start + m]
        kept = list(block[block != 0])
        condensed.extend(kept + [0] * (n - len(kept)))
    while condensed and condensed[-1] == 0:
        condensed.pop()
    return [a - 1 for a in condensed]


@pytest.mark.parametrize(("k", "n", "m"), [(30, 2, 4), (7, 1, 3), (23, 5, 7), (12, 4, 4), (1, 1, 8), (9, 3, 8)])
def test_kept_elements_are_scalesims_condensed_filter(k, n, m):
    expected = _scalesim_condensed_rows(k, n, m)
    assert num_kept(k, n, m) == len(expected)
    assert kept_element(np.arange(len(expected)), n, m).tolist() == expected
    # last_kept_at_most inverts it: the last kept element at or before each dense element (-1: none yet)
    got = last_kept_at_most(np.arange(-1, k), n, m).tolist()
    assert got == [sum(1 for e in expected if e <= x) - 1 for x in range(-1, k)]


def test_filter_storage_by_hand():
    # compression.py for a 30 x 12 filter at 2:4: 16 kept rows -> 192 non-zeros (the sparse_gemm_8x8_* layer g24).
    sizes = dict(window_size=30, num_filters=12, nonzeros=192, ellpack_cells=192, ratio_m=4)
    csr = filter_storage("csr", **sizes)
    assert (csr.original_words, csr.new_words, csr.metadata_words) == (360, 2 * 192 + 31, 192 + 31)
    csc = filter_storage("csc", **sizes)
    assert (csc.new_words, csc.metadata_words) == (2 * 192 + 13, 192 + 13)
    ell = filter_storage("ellpack_block", **sizes)
    assert (ell.new_words, ell.metadata_words) == (192 + 192 * 2 / 32, 192 * math.ceil(math.log2(4)) / 32)
    assert filter_storage("ellpack_block", **{**sizes, "ratio_m": 1}).metadata_words == 0.0  # log2(1) = 0


# ---- bad input: clear errors naming the file, the line and the key ------------------------------------------------

CONFIG = (GOLDEN / "cases" / "sparse_gemm_8x8_ws_csr" / "scalesim.cfg").read_text()
TOPOLOGY = "Layer, M, N, K,\ng, 8, 8, 16, 2:4,\n"


def _config(tmp_path: Path, old: str, new: str) -> Path:
    assert old in CONFIG
    path = tmp_path / "s.cfg"
    path.write_text(CONFIG.replace(old, new))
    return path


def _line(path: Path, key: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if line.startswith(key))


@pytest.mark.parametrize(("old", "new", "key", "allowed"), [
    ("SparseRep : csr", "SparseRep : CSR", "SparseRep", "csr, csc, ellpack_block"),
    ("SparseRep : csr", "SparseRep : coo", "SparseRep", "csr, csc, ellpack_block"),
    ("SparsitySupport : true", "SparsitySupport : yes", "SparsitySupport", "true or false"),
    ("OptimizedMapping : false", "OptimizedMapping : maybe", "OptimizedMapping", "true or false"),
    ("RandomNumberGeneratorSeed : 40", "RandomNumberGeneratorSeed : forty", "RandomNumberGeneratorSeed",
     "whole number"),
    ("RandomNumberGeneratorSeed : 40", "RandomNumberGeneratorSeed : -1", "RandomNumberGeneratorSeed", ">= 0"),
    ("OptimizedMapping : false\nBlockSize : 8", "OptimizedMapping : true\nBlockSize : 16", "BlockSize",
     "ArrayHeight = 8"),
    ("OptimizedMapping : false\nBlockSize : 8", "OptimizedMapping : true\nBlockSize : 3", "BlockSize",
     "a divisor of 2 x ArrayHeight = 16"),
    ("OptimizedMapping : false\nBlockSize : 8", "OptimizedMapping : true\nBlockSize : 1", "BlockSize", ">= 2"),
    ("OptimizedMapping : false\nBlockSize : 8", "OptimizedMapping : true\nBlockSize : four", "BlockSize",
     "not an integer"),
    ("OptimizedMapping : false", "OptimizedMapping : true", "OptimizedMapping", "allowed: Dataflow = ws"),
])
def test_malformed_sparsity_keys_are_refused(tmp_path, old, new, key, allowed):
    if key == "OptimizedMapping" and "true" in new:  # row-wise itself is fine in ws CALC: refused in os / USER
        path = _config(tmp_path, old, new)
        path.write_text(path.read_text().replace("Dataflow : ws", "Dataflow : os"))
    else:
        path = _config(tmp_path, old, new)
    with pytest.raises(ChiplabInputError) as info:
        load_config(path)
    message = str(info.value)
    assert f"{path}:{_line(path, key)}" in message and key in message and allowed in message


@pytest.mark.parametrize("key", ["SparseRep", "OptimizedMapping", "RandomNumberGeneratorSeed"])
def test_missing_sparsity_key_is_refused(tmp_path, key):
    line = next(x for x in CONFIG.splitlines() if x.startswith(key))
    path = _config(tmp_path, line + "\n", "")
    with pytest.raises(ChiplabInputError, match=f"missing key {key} in section \\[sparsity\\]"):
        load_config(path)


def test_sparse_layer_with_sparsity_off_is_refused(tmp_path):
    config = _config(tmp_path, "SparsitySupport : true", "SparsitySupport : false")
    topology = tmp_path / "t.csv"
    topology.write_text(TOPOLOGY)
    with pytest.raises(ChiplabInputError) as info:
        run_scalesim(config, topology, tmp_path / "out", "gemm")
    assert f"{topology}:2" in str(info.value) and "2:4" in str(info.value) and "SparsitySupport" in str(info.value)


# '2:4:8' is read as 2:4, as SCALE-Sim reads it (tests/scalesim/test_topology_rows.py).
@pytest.mark.parametrize(("ratio", "allowed"), [("4:2", "1 <= N <= M"), ("0:4", "1 <= N <= M"), ("2-4", "N:M"),
                                                ("a:4", "N:M")])
def test_invalid_ratio_is_refused_naming_its_line(tmp_path, ratio, allowed):
    topology = tmp_path / "t.csv"
    topology.write_text(f"Layer, M, N, K,\ng, 8, 8, 16, 1:1,\nbad, 8, 8, 16, {ratio},\n")
    config = tmp_path / "s.cfg"
    config.write_text(CONFIG)
    with pytest.raises(ChiplabInputError) as info:
        run_scalesim(config, topology, tmp_path / "out", "gemm")
    assert f"{topology}:3" in str(info.value) and allowed in str(info.value)


def test_filter_offset_zero_with_n_above_one_is_refused(tmp_path):
    # SCALE-Sim condenses each filter column to its non-zero addresses, so FilterOffset 0 turns the real address 0
    # into a "pruned" weight; chiplab refuses rather than reproduce that reordering.
    config = _config(tmp_path, "FilterOffset:   10000000", "FilterOffset:   0")
    topology = tmp_path / "t.csv"
    topology.write_text(TOPOLOGY)
    with pytest.raises(ChiplabInputError, match="FilterOffset"):
        run_scalesim(config, topology, tmp_path / "out", "gemm")


def test_dense_runs_write_no_sparse_report(tmp_path):
    case_dir = GOLDEN / "cases" / "gemm_tiny_4x4_ws"
    run_scalesim(case_dir / "scalesim.cfg", case_dir / "topology.csv", tmp_path, "gemm")
    assert not (tmp_path / "gemm_tiny_4x4_ws" / SPARSE_REPORT_NAME).exists()
