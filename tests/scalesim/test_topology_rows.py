"""Topology rows read the way SCALE-Sim 3.0.0 reads them (issue 17, "Real users' files → Parser").

Expected values come from SCALE-Sim 3.0.0 itself:
* ``topo_arrays.json`` in the ``repo_*`` golden cases is the list of layers SCALE-Sim's topology reader stored for
  that verbatim topology (``topologies.topo_arrays``, written by tests/golden/scalesim/regenerate.py); its reports
  are compared byte for byte by test_scalesim_parity.py / test_sparsity.py.
* The refused rows are copied from topology files in SCALE-Sim's own repository (github.com/scalesim-project/
  scale-sim-v2, MIT licence); SCALE-Sim 3.0.0 stops at the same line of each of them (the IndexError or ValueError
  noted per case, found by running it on the file; tests/golden/scalesim/CONVENTIONS.md §1 has the table).
"""

from __future__ import annotations

import json
import tomllib
import warnings
from pathlib import Path

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.scalesim import ScaleSimInputWarning, ScaleSimLayer, load_topology

GOLDEN = Path(__file__).parents[1] / "golden" / "scalesim"
PARSE_CASES = [c for c in tomllib.loads((GOLDEN / "cases.toml").read_text())["case"]
               if (GOLDEN / "cases" / c["name"] / "topo_arrays.json").exists()]
CONV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
               "Strides,\n")


def _as_scalesim_entry(layer: ScaleSimLayer) -> list[object]:
    # topology_utils.append_topo_arrays: [name, H, W, R, S, C, filters, stride h, stride w, ...]; its
    # get_layer_sparsity_ratio reads items 9 and 10.
    return [layer.name, layer.ifmap_height, layer.ifmap_width, layer.filter_height, layer.filter_width,
            layer.num_channels, layer.num_filters, layer.stride, layer.stride, *layer.sparsity_ratio]


def test_parse_cases_exist():
    assert {"repo_rows_conv_8x8_ws_sparse", "repo_rows_gemm_8x8_os"} <= {c["name"] for c in PARSE_CASES}


@pytest.mark.parametrize("case", PARSE_CASES, ids=[c["name"] for c in PARSE_CASES])
def test_layers_equal_what_scalesim_stored(case):
    case_dir = GOLDEN / "cases" / case["name"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScaleSimInputWarning)
        layers = load_topology(case_dir / "topology.csv", case["input_type"])
    stored = json.loads((case_dir / "topo_arrays.json").read_text())
    # Items 0-8 are the layer, 9-10 the ratio SCALE-Sim uses; anything after is stored and never read.
    assert [_as_scalesim_entry(x) for x in layers] == [entry[:11] for entry in stored]


def test_conv_rows_warn_about_every_field_scalesim_does_not_use():
    path = GOLDEN / "cases" / "repo_rows_conv_8x8_ws_sparse" / "topology.csv"
    with pytest.warns(ScaleSimInputWarning) as caught:
        layers = load_topology(path)
    message = str(caught[0].message)
    assert "line 2: '2', '4', '1:1' (SCALE-Sim's ratio here is 2:4" in message
    assert "line 4: ':7'" in message and "line 5: '#note'" in message and "line 6" not in message
    assert [x.sparsity_ratio for x in layers][:2] == [(2, 4), (1, 3)]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topology.csv"
    path.write_bytes(text.encode())
    return path


def _refusal(path: Path, input_type: str = "conv") -> str:
    with pytest.raises(ChiplabInputError) as info:
        load_topology(path, input_type)
    return str(info.value)


@pytest.mark.parametrize(("rows", "line", "expected"), [
    # mlperf/Sentimental_seqCNN.csv, div64q/Resnet50.csv, conv_nets/Resnet50.csv: a spreadsheet's empty row
    # (SCALE-Sim: ValueError int(''), IndexError elems[7], IndexError on the ratio's missing ':').
    (",,,,,,,,,\nConv1,5,1024,3,3,1,1024,1,\n", 2, "a row of empty fields"),
    (",,,,,,,\nConv1,5,1024,3,3,1,1024,1,\n", 2, "a row of empty fields"),
    ("Conv1,224,224,7,7,3,64,2,\n,,,,,,,,,,,,\n", 3, "a row of empty fields"),
    # mlperf/MLPERF.csv line 3: a section title (SCALE-Sim: IndexError elems[7]).
    ("\nAlphaGoZero,\nConv, 19, 19, 3, 3, 17, 256, 1,\n", 3, "got 1 (a section title?)"),
    # conv_nets/UNet_maestro.csv: tab-separated (SCALE-Sim: IndexError elems[7]).
    ("Conv1_1\t572\t572\t3\t3\t1\t64\t1\t\n", 2, "separated by tabs; allowed: commas only"),
    # CSV/LSTM.csv: symbolic dimensions (SCALE-Sim: ValueError int('B')).
    ("LSTM_igate_h, 1, B, 1, 1, H, H, 1,\n", 2, "IFMAP width = 'B' is not an integer; allowed: a whole number"),
    # mlperf/div4q/Sentimental_seqLSTM_short.csv line 6: one column too many, so the last field '1' is read as
    # the ratio (SCALE-Sim: IndexError on its missing ':').
    ("FC1,1,1,1,1,256,256,1, \nLSTM1_ptwise,1,1,1,1,1,1024,1,1, \n", 3,
     "sparsity ratio = '1'; allowed: N:M"),
])
def test_rows_scalesim_stops_at_are_refused_naming_file_line_and_field(tmp_path, rows, line, expected):
    path = _write(tmp_path, CONV_HEADER + rows)
    message = _refusal(path)
    assert message.startswith(f"{path}:{line}: ") and expected in message
    assert "SCALE-Sim 3.0.0 stops at this row too" in message and "allowed" in message


def test_one_column_too_many_is_named(tmp_path):
    # The row of mlperf/div4q/Sentimental_seqLSTM_short.csv line 6: 8 values after the name, a conv layer has 7.
    message = _refusal(_write(tmp_path, CONV_HEADER + "LSTM1_ptwise,1,1,1,1,1,1024,1,1, \n"))
    assert "this row has 8 values after the name where a conv layer has 7: one column too many?" in message


def test_extra_column_before_the_ratio_is_read_as_scalesim_reads_it(tmp_path):
    # An integer column before the final N:M: SCALE-Sim's ratio is 7:1 (the first two values after the stride),
    # not 1:2, and 7:1 is no N:M (with sparsity on SCALE-Sim crashes building the 7:1 pattern).
    message = _refusal(_write(tmp_path, CONV_HEADER + "c0, 8, 8, 3, 3, 3, 16, 1, 7, 1:2,\n"))
    assert ":2: sparsity ratio (the first two values after the stride) = 7:1" in message
    assert "not the last field '1:2'" in message and "remove the extra column" in message


@pytest.mark.parametrize("ratio", ["1:x", "\u00b2:4", ":4", "2-4"])  # '\u00b2'.isdigit(), but int() refuses it
def test_ratio_halves_must_be_integers(tmp_path, ratio):
    # SCALE-Sim int()s both halves (ValueError) or indexes the missing second half (IndexError).
    message = _refusal(_write(tmp_path, f"Layer, M, N, K,\nl0, 4, 4, 4, {ratio},\n"), "gemm")
    assert f":2: sparsity ratio = {ratio!r}; allowed: N:M with whole numbers" in message


def test_ratio_parts_after_the_second_are_ignored_with_a_warning(tmp_path):
    # SCALE-Sim keeps split(':')[0] and [1] (golden repo_rows_gemm_8x8_os: '3:3:9' is stored as 3, 3).
    with pytest.warns(ScaleSimInputWarning, match="line 2: ':8'"):
        (layer,) = load_topology(_write(tmp_path, "Layer, M, N, K,\nl0, 4, 4, 4, 2:4:8,\n"), "gemm")
    assert layer.sparsity_ratio == (2, 4)


def test_only_newlines_end_a_row(tmp_path):
    # SCALE-Sim iterates over the open file: only \n, \r\n and \r end a line (Python's universal newlines), not
    # the \f, \v or \u2028 that str.splitlines() also splits at; int() then strips the whitespace.
    path = _write(tmp_path, "Layer, M, N, K,\rl0, 4,\f 5, 6,\r\nl1, 7,\u2028 8, 9,\n")
    assert [(x.m, x.n, x.k) for x in load_topology(path, "gemm")] == [(4, 5, 6), (7, 8, 9)]
