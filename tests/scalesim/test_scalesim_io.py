"""Reading SCALE-Sim config and topology files: what is accepted, and clear errors for what is not.

Every malformed file must raise ChiplabInputError (a ValueError) whose message names the file, the line or key,
and what is allowed — never a configparser/IndexError traceback, a hang, or a silently wrong layer list.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.scalesim import (
    ScaleSimInputWarning,
    compute_layer,
    load_config,
    load_topology,
    plan_layer,
    run_scalesim,
    simulate_layer,
)
from chiplab.systolic.dataflow import Dataflow

GOOD_CONFIG = """\
[general]
run_name = io_test

[architecture_presets]
ArrayHeight:    8
ArrayWidth:     4
IfmapSramSzkB:    64
FilterSramSzkB:   32
OfmapSramSzkB:    16
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : os
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _config(tmp_path: Path, text: str = GOOD_CONFIG) -> Path:
    return _write(tmp_path, "scale.cfg", text)


def _error(call, *args) -> str:
    with pytest.raises(ChiplabInputError) as info:
        call(*args)
    assert isinstance(info.value, ValueError)
    return str(info.value)


# ---- config -------------------------------------------------------------------------------------------------------


def test_good_config_reads_every_key(tmp_path):
    # SCALE-Sim's own example configs/scale.cfg has no [layout] or [sparsity] section (SCALE-Sim 3.0.0 itself
    # cannot read it); chiplab does not need them.
    config = load_config(_config(tmp_path))
    assert (config.run_name, config.num_rows, config.num_cols) == ("io_test", 8, 4)
    assert (config.ifmap_sram_bytes, config.filter_sram_bytes, config.ofmap_sram_bytes) == (65536, 32768, 16384)
    assert (config.ifmap_offset, config.filter_offset, config.ofmap_offset) == (0, 10000000, 20000000)
    assert config.dataflow is Dataflow.OS
    assert config.interface_bandwidth == "CALC"


def test_keys_are_case_insensitive_like_configparser(tmp_path):
    config = load_config(_config(tmp_path, GOOD_CONFIG.replace("ArrayHeight", "arrayheight")))
    assert config.num_rows == 8


def test_missing_config_file(tmp_path):
    assert "does not exist" in _error(load_config, tmp_path / "nope.cfg")


def test_missing_key_names_section_key_and_file(tmp_path):
    path = _config(tmp_path, GOOD_CONFIG.replace("ArrayWidth:     4\n", ""))
    message = _error(load_config, path)
    assert str(path) in message and "ArrayWidth" in message and "[architecture_presets]" in message


def test_missing_section(tmp_path):
    text = GOOD_CONFIG.replace("[run_presets]\nInterfaceBandwidth: CALC\nUseRamulatorTrace: False\n", "")
    message = _error(load_config, _config(tmp_path, text))
    assert "[run_presets]" in message and "InterfaceBandwidth" in message


@pytest.mark.parametrize(("key", "bad", "line"), [
    ("ArrayHeight:    8", "ArrayHeight:    8x", 5),
    ("IfmapSramSzkB:    64", "IfmapSramSzkB:    64 # KiB", 7),
    ("FilterOffset:   10000000", "FilterOffset:   1e7", 11),
])
def test_bad_numbers_name_file_line_and_key(tmp_path, key, bad, line):
    path = _config(tmp_path, GOOD_CONFIG.replace(key, bad))
    message = _error(load_config, path)
    assert f"{path}:{line}" in message and key.split(":")[0] in message and "not an integer" in message


@pytest.mark.parametrize(("key", "bad"), [
    ("ArrayHeight:    8", "ArrayHeight:    0"),
    ("OfmapSramSzkB:    16", "OfmapSramSzkB:    -2"),
    ("IfmapOffset:    0", "IfmapOffset:    -1"),
])
def test_out_of_range_numbers(tmp_path, key, bad):
    message = _error(load_config, _config(tmp_path, GOOD_CONFIG.replace(key, bad)))
    assert key.split(":")[0] in message and "allowed" in message


@pytest.mark.parametrize("dataflow", ["WS", "rs", ""])
def test_unknown_dataflow(tmp_path, dataflow):
    path = _config(tmp_path, GOOD_CONFIG.replace("Dataflow : os", f"Dataflow : {dataflow}"))
    message = _error(load_config, path)
    assert f"{path}:14" in message and "Dataflow" in message and "ws, os or is" in message


def test_bad_interface_bandwidth(tmp_path):
    message = _error(load_config, _config(tmp_path, GOOD_CONFIG.replace("InterfaceBandwidth: CALC",
                                                                        "InterfaceBandwidth: calc")))
    assert "InterfaceBandwidth" in message and "CALC or USER" in message


USER_LAYOUT = """
[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 6
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 3
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2
"""
USER_CONFIG = GOOD_CONFIG.replace("InterfaceBandwidth: CALC", "InterfaceBandwidth: USER") + USER_LAYOUT


def test_user_mode_reads_the_three_bandwidths_where_scalesim_does(tmp_path):
    # single_layer_sim.run (SCALE-Sim 3.0.0): ifmap/filter read buffers use [layout] *SRAMBankBandwidth, the
    # OFMAP drain uses the first Bandwidth value.
    config = load_config(_config(tmp_path, USER_CONFIG))
    assert config.user_bandwidths_words_per_cycle == (10,)
    assert (config.ifmap_dram_words_per_cycle, config.filter_dram_words_per_cycle) == (6, 3)


@pytest.mark.parametrize(("old", "new", "key", "expected"), [
    ("Bandwidth : 10", "Bandwidth : ten", "Bandwidth", "whole numbers"),
    ("Bandwidth : 10", "Bandwidth : 0", "Bandwidth", "whole numbers 1"),
    ("Bandwidth : 10", "Bandwidth : -5", "Bandwidth", "whole numbers 1"),
    ("Bandwidth : 10\n", "", "Bandwidth", "missing key Bandwidth"),
    ("IfmapSRAMBankBandwidth: 6", "IfmapSRAMBankBandwidth: 0", "IfmapSRAMBankBandwidth", ">= 1"),
    ("FilterSRAMBankBandwidth: 3\n", "", "FilterSRAMBankBandwidth", "missing key"),
    (USER_LAYOUT, "", "IfmapSRAMBankBandwidth", "missing section [layout]"),
    ("IfmapSRAMBankNum: 1", "IfmapSRAMBankNum: 2", "IfmapSRAMBankNum", "not supported"),
])
def test_user_mode_bad_bandwidths_name_file_line_and_key(tmp_path, old, new, key, expected):
    path = _config(tmp_path, USER_CONFIG.replace(old, new))
    message = _error(load_config, path)
    assert str(path) in message and key in message and expected in message


def test_user_mode_bad_bandwidth_names_its_line(tmp_path):
    path = _config(tmp_path, USER_CONFIG.replace("Bandwidth : 10", "Bandwidth : 0"))
    assert f"{path}:13:" in _error(load_config, path)


@pytest.mark.parametrize("name", ["a\x00b", "two\n  lines", "tab\there"])
def test_run_name_with_control_characters_is_refused(tmp_path, name):
    # Issue 10 item 12: a NUL byte crashed os.makedirs; a newline (configparser continuation line) made a
    # directory name containing a line break.
    message = _error(load_config, _config(tmp_path, GOOD_CONFIG.replace("run_name = io_test", f"run_name = {name}")))
    assert "run_name" in message and "control characters" in message


def test_oversized_integers_are_refused(tmp_path):
    message = _error(load_config, _config(tmp_path, GOOD_CONFIG.replace("ArrayHeight:    8",
                                                                        "ArrayHeight:    " + "9" * 30)))
    assert "ArrayHeight" in message and "2147483647" in message


@pytest.mark.parametrize(("old", "new", "key"), [
    ("UseRamulatorTrace: False", "UseRamulatorTrace: True", "UseRamulatorTrace"),
    ("UseRamulatorTrace: False", "UseRamulatorTrace: False\n\n[sparsity]\nSparsitySupport : true\nSparseRep : csr\n"
     "OptimizedMapping : true\nBlockSize : 4\nRandomNumberGeneratorSeed : 40", "OptimizedMapping"),
])
def test_unsupported_features_are_refused(tmp_path, old, new, key):
    message = _error(load_config, _config(tmp_path, GOOD_CONFIG.replace(old, new)))
    assert key in message and ("not supported" in message or "not reproduced" in message)


def test_run_name_must_be_a_plain_directory_name(tmp_path):
    message = _error(load_config, _config(tmp_path, GOOD_CONFIG.replace("run_name = io_test", "run_name = a/b")))
    assert "run_name" in message


@pytest.mark.parametrize("text", ["ArrayHeight: 8\n", "[general]\nrun_name = x\nrun_name = y\n", "[general\n"])
def test_unparseable_config(tmp_path, text):
    path = _config(tmp_path, text)
    assert str(path) in _error(load_config, path)


# ---- topology -----------------------------------------------------------------------------------------------------


def test_gemm_topology_maps_like_scalesim(tmp_path):
    # topology_utils.load_arrays_gemm: M, N, K -> ifmap M x K, filter 1 x K, N filters, so m, n, k survive.
    path = _write(tmp_path, "g.csv", "Layer, M, N, K,\nqkv, 64, 192, 32,\nffn, 7, 9, 11, 1:1,\n\n")
    layers = load_topology(path, "gemm")
    assert [(x.name, x.m, x.n, x.k) for x in layers] == [("qkv", 64, 192, 32), ("ffn", 7, 9, 11)]
    assert (layers[0].ifmap_height, layers[0].ifmap_width, layers[0].filter_width) == (64, 32, 32)


def test_conv_topology_with_and_without_trailing_commas(tmp_path):
    path = _write(tmp_path, "c.csv", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                                     "Channels, Num Filter, Strides,\nConv1, 224, 224, 7, 7, 3, 64, 2,\n"
                                     "CB2a_2, 56, 56, 3, 3, 64, 64, 1\n")
    conv1, cb2a = load_topology(path)
    assert (conv1.ofmap_height, conv1.m, conv1.n, conv1.k) == (110, 12100, 64, 147)
    assert (cb2a.m, cb2a.k) == (54 * 54, 576)


def test_depthwise_layers_split_per_channel(tmp_path):
    path = _write(tmp_path, "dw.csv", "Layer name, H, W, R, S, C, N, stride,\nDP_1, 10, 10, 3, 3, 3, 1, 1,\n")
    assert [(x.name, x.num_channels) for x in load_topology(path)] == [
        ("DP_1Channel_0", 1), ("DP_1Channel_1", 1), ("DP_1Channel_2", 1)]


def test_missing_topology_file(tmp_path):
    assert "does not exist" in _error(load_topology, tmp_path / "nope.csv", "gemm")


@pytest.mark.parametrize("text", ["", "Layer, M, N, K,\n", "Layer, M, N, K,\n\n  \n"])
def test_empty_topology(tmp_path, text):
    path = _write(tmp_path, "t.csv", text)
    message = _error(load_topology, path, "gemm")
    assert str(path) in message and "no layers" in message


@pytest.mark.parametrize(("row", "input_type", "expected"), [
    ("l0, 4, 4,", "gemm", "expected 4 columns"),
    ("c0, 8, 8, 3, 3, 3, 16,", "conv", "expected 8 columns"),
])
def test_wrong_column_count_names_file_line_and_expected_count(tmp_path, row, input_type, expected):
    path = _write(tmp_path, "t.csv", f"header,\nok, 2, 2, 2,\n{row}\n" if input_type == "gemm" else
                  f"header,\n{row}\n")
    message = _error(load_topology, path, input_type)
    line = 3 if input_type == "gemm" else 2
    assert f"{path}:{line}" in message and expected in message


@pytest.mark.parametrize(("row", "column"), [("l0, 4, x, 4,", "N"), ("l0, 4, 0, 4,", "N"), ("l0, 4, 4, -3,", "K"),
                                             ("l0, 4, 4, 4.5,", "K")])
def test_bad_dimensions(tmp_path, row, column):
    path = _write(tmp_path, "t.csv", f"Layer, M, N, K,\n{row}\n")
    message = _error(load_topology, path, "gemm")
    assert f"{path}:2" in message and f"{column} =" in message and ">= 1" in message


def test_filter_larger_than_ifmap(tmp_path):
    path = _write(tmp_path, "t.csv", "header,\nc0, 4, 8, 5, 3, 3, 16, 1,\n")
    message = _error(load_topology, path, "conv")
    assert f"{path}:2" in message and "larger than the IFMAP" in message


def test_bad_sparsity_ratio(tmp_path):
    path = _write(tmp_path, "t.csv", "Layer, M, N, K, Sparsity,\nl0, 4, 4, 4, half,\n")
    assert "N:M" in _error(load_topology, path, "gemm")


MOBILENET_ROWS = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                  "Strides,\n\nConv1, 224, 224, 3, 3, 3, 32, 2,\nConv2_dw, 112, 112, 3, 3, 1, 1, 1,#dw\n")


def test_last_field_dropped_like_scalesim_with_a_warning(tmp_path):
    # Rows copied from SCALE-Sim's topologies/conv_nets/mobilnet_paper.csv (MIT licence): SCALE-Sim's
    # row.split(',')[:-1] drops the '#dw' note; chiplab drops it too and says so on stderr.
    path = _write(tmp_path, "m.csv", MOBILENET_ROWS)
    with pytest.warns(ScaleSimInputWarning, match=r"line 4: '#dw'"):
        layers = load_topology(path)
    assert [(x.name, x.k, x.stride) for x in layers] == [("Conv1", 27, 2), ("Conv2_dw", 9, 1)]


@pytest.mark.parametrize(("row", "input_type", "ignored", "ratio"), [
    ("l0, 4, 4, 4, 2:4, 9, x,", "gemm", "'9', 'x'", (2, 4)),  # load_arrays_gemm reads nothing after elems[4]
    ("l0, 4, 4, 4, 2:4", "gemm", "'2:4'", (1, 1)),  # no trailing comma: SCALE-Sim drops the ratio itself
    # An integer column before the final N:M: SCALE-Sim's get_layer_sparsity_ratio reads topo_arrays[9:11], the
    # first two values after the stride (2:4 here), not the last field (tests/scalesim/test_topology_rows.py).
    ("c0, 8, 8, 3, 3, 3, 16, 1, 2, 4, 1:1,", "conv", "'1:1'", (2, 4)),
])
def test_extra_fields_are_ignored_like_scalesim(tmp_path, row, input_type, ignored, ratio):
    path = _write(tmp_path, "t.csv", f"header,\n{row}\n")
    with pytest.warns(ScaleSimInputWarning, match=ignored):
        (layer,) = load_topology(path, input_type)
    assert layer.sparsity_ratio == ratio


def test_rows_that_only_lack_the_trailing_comma_warn_about_nothing(tmp_path, recwarn):
    path = _write(tmp_path, "t.csv", "header,\nl0, 4, 4, 4\nl1, 4, 4, 4, 1:1,\n")
    assert [x.sparsity_ratio for x in load_topology(path, "gemm")] == [(1, 1), (1, 1)]
    assert not [w for w in recwarn if issubclass(w.category, ScaleSimInputWarning)]


def test_empty_layer_name_is_accepted_like_scalesim(tmp_path):
    path = _write(tmp_path, "t.csv", "header,\n, 4, 5, 6,\n")
    assert [(x.name, x.m, x.n, x.k) for x in load_topology(path, "gemm")] == [("", 4, 5, 6)]


@pytest.mark.parametrize(("row", "expected"), [
    ("c0, 8, 8, 3, 3, 3, 16, 1, x, 1:2,", "extra field 'x'"),
    ("l0, 4, 4, 4, 3:2,", "1 <= N <= M"),
    ("l0, 4, 4, 4, 0:4,", "1 <= N <= M"),
])
def test_bad_extra_fields_and_ratios(tmp_path, row, expected):
    input_type = "conv" if row.startswith("c") else "gemm"
    path = _write(tmp_path, "t.csv", f"header,\n{row}\n")
    message = _error(load_topology, path, input_type)
    assert f"{path}:2" in message and expected in message


def test_oversized_dimensions_are_refused_not_overflowed(tmp_path):
    path = _write(tmp_path, "t.csv", f"header,\nl0, {10**30}, 4, 4,\n")
    message = _error(load_topology, path, "gemm")
    assert f"{path}:2" in message and "M =" in message and "too large" in message


def test_depthwise_row_with_huge_channel_count_is_refused_before_building_layers(tmp_path):
    # Issue 10 item 5: 1e8 channels built one object per channel and died with MemoryError after 3.8 GB.
    path = _write(tmp_path, "t.csv", f"header,\nDP_big, 8, 8, 3, 3, {10**8}, 1, 1,\n")
    message = _error(load_topology, path, "conv")
    assert "100000000 layers" in message and "memory" in message and "CHIPLAB_MAX" in message


def test_first_line_that_is_a_layer_is_not_silently_dropped(tmp_path):
    path = _write(tmp_path, "t.csv", "l0, 4, 4, 4,\nl1, 8, 8, 8,\n")
    message = _error(load_topology, path, "gemm")
    assert f"{path}:1" in message and "header" in message


def test_unknown_input_type(tmp_path):
    path = _write(tmp_path, "t.csv", "Layer, M, N, K,\nl0, 4, 4, 4,\n")
    message = _error(load_topology, path, "fc")
    assert "input_type" in message and "conv, gemm" in message and "'fc'" in message


# ---- wrong argument types (issue 10 item 8): a ChiplabInputError naming the parameter, not a TypeError ----------


@pytest.mark.parametrize("load", [load_config, load_topology])
@pytest.mark.parametrize(("path", "expected"), [
    (0, "str or os.PathLike"),  # pathlib would raise TypeError
    (None, "str or os.PathLike"),
    ("a\x00b", "cannot be read"),  # pathlib would raise ValueError (embedded null byte)
])
def test_paths_must_be_str_or_pathlike(load, path, expected):
    message = _error(load, path)
    assert expected in message and repr(path)[:5] in message


def _layer(tmp_path: Path):
    return load_topology(_write(tmp_path, "t.csv", "Layer, M, N, K,\nl0, 20, 13, 11,\n"), "gemm")[0]


@pytest.mark.parametrize(("args", "expected"), [
    ((0, "ws", 4, 4), "layer must be a ScaleSimLayer"),  # MAPPINGS[0] was a KeyError
    (("LAYER", "ws", 4, 4), "layer must be a ScaleSimLayer"),
    ((None, "xx", 4, 4), "layer must be a ScaleSimLayer"),
    (("layer", "xx", 4, 4), "dataflow must be one of"),
    (("layer", "ws", 0, 4), "num_rows must be a whole number"),
    (("layer", "ws", 4, 2**70), "num_cols must be a whole number between 1 and 2,147,483,647"),
    (("layer", "ws", 4, float("nan")), "num_cols"),
])
def test_plan_and_compute_layer_check_their_arguments(tmp_path, args, expected):
    args = tuple(_layer(tmp_path) if a == "layer" else a for a in args)
    for call in (plan_layer, compute_layer):
        assert expected in _error(call, *args)


def test_plan_layer_accepts_dataflow_names_like_the_rest_of_chiplab(tmp_path):
    layer = _layer(tmp_path)
    assert plan_layer(layer, "WS", 4, 4) == plan_layer(layer, Dataflow.WS, 4, 4)
    assert compute_layer(layer, "output-stationary", 4, 4) == compute_layer(layer, Dataflow.OS, 4, 4)


def test_simulate_layer_checks_its_arguments(tmp_path):
    config, layer = load_config(_config(tmp_path)), _layer(tmp_path)
    assert "config must be a ScaleSimConfig" in _error(simulate_layer, 0, layer)  # was AttributeError num_rows
    assert "layer must be a ScaleSimLayer" in _error(simulate_layer, config, (20, 13, 11))
    assert "layer_id must be a whole number >= 0" in _error(simulate_layer, config, layer, -1)
    assert simulate_layer(config, layer, 3.0).layer_id == 3


@pytest.mark.parametrize(("change", "expected"), [
    ({"num_channels": 0}, "num_channels must be a whole number >= 1"),
    ({"stride": "2"}, "stride must be a whole number >= 1"),
    ({"num_filters": 2**40}, "num_filters must be a whole number between 1 and 2,147,483,647"),
    ({"name": None}, "name must be a layer name"),
    ({"sparsity_ratio": (4, 2)}, "1 <= N <= M"),
    ({"sparsity_ratio": "1:1"}, "sparsity_ratio must be a pair"),
    ({"filter_width": 12}, "larger than the IFMAP 20x11"),
])
def test_layers_built_by_hand_get_the_checks_of_a_topology_row(tmp_path, change, expected):
    layer = _layer(tmp_path)
    assert expected in _error(lambda: dataclasses.replace(layer, **change))


@pytest.mark.parametrize(("change", "expected"), [
    ({"num_rows": 0}, "num_rows must be a whole number >= 1"),
    ({"num_cols": 2**31}, "num_cols must be a whole number between 1 and 2,147,483,647"),
    ({"ifmap_sram_bytes": None}, "ifmap_sram_bytes must be a whole number"),
    ({"ofmap_offset": -1}, "ofmap_offset must be a whole number >= 0"),
    ({"dataflow": "diagonal"}, "dataflow must be one of"),
    ({"interface_bandwidth": "FAST"}, "interface_bandwidth must be one of calc, user"),
    ({"interface_bandwidth": "USER"}, "at least one bandwidth in USER mode"),
    ({"path": 3}, "path must be the config file's path"),
])
def test_configs_built_by_hand_get_the_checks_of_load_config(tmp_path, change, expected):
    config = load_config(_config(tmp_path))
    assert expected in _error(lambda: dataclasses.replace(config, **change))


def test_changing_a_loaded_config_keeps_its_numbers_whole(tmp_path):
    config = dataclasses.replace(load_config(_config(tmp_path)), num_rows=16.0, dataflow="WS")
    assert (config.num_rows, type(config.num_rows), config.dataflow) == (16, int, Dataflow.WS)


# ---- run_scalesim -------------------------------------------------------------------------------------------------


def test_run_scalesim_writes_reports_under_run_name(tmp_path):
    topology = _write(tmp_path, "t.csv", "Layer, M, N, K,\nl0, 20, 13, 11,\n")
    results = run_scalesim(_config(tmp_path), topology, tmp_path / "out", input_type="gemm")
    assert [r.layer_name for r in results] == ["l0"]
    names = sorted(p.name for p in (tmp_path / "out" / "io_test").iterdir())
    assert names == ["BANDWIDTH_REPORT.csv", "COMPUTE_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"]
    result = results[0]
    assert result.num_macs == 20 * 13 * 11
    for fraction in (result.overall_utilization_fraction, result.compute_utilization_fraction,
                     result.mapping_efficiency_fraction):
        assert 0 < fraction <= 1


def test_run_scalesim_runs_user_bandwidth_mode(tmp_path):
    # A starved OFMAP drain (Bandwidth 1 word/cycle into a 16 KiB buffer) must stall a layer that writes more
    # than the buffer holds; with ample bandwidth the same layer does not stall.
    topology = _write(tmp_path, "t.csv", "Layer, M, N, K,\nl0, 600, 60, 8,\n")
    starved = run_scalesim(_config(tmp_path, USER_CONFIG.replace("Bandwidth : 10", "Bandwidth : 1")), topology,
                           tmp_path / "out", "gemm")[0]
    ample = run_scalesim(_config(tmp_path, USER_CONFIG.replace("Bandwidth : 10", "Bandwidth : 64")), topology,
                         tmp_path / "out", "gemm")[0]
    assert starved.stall_cycles > 0 and ample.stall_cycles == 0
    assert starved.total_cycles == ample.total_cycles + starved.stall_cycles


def test_sparse_layer_with_sparsity_off_is_refused(tmp_path):
    topology = _write(tmp_path, "t.csv", "Layer, M, N, K, N:M,\nl0, 4, 4, 4, 1:1,\nl1, 4, 4, 8, 2:4,\n")
    message = _error(run_scalesim, _config(tmp_path), topology, tmp_path / "out", "gemm")
    assert f"{topology}:3" in message and "2:4" in message and "SparsitySupport" in message


def test_huge_gemm_is_refused_with_an_estimate_not_a_memory_error(tmp_path):
    # Issue 10 item 5: a 100000^3 GEMM allocated 4.7 GiB before failing; the guard refused it up front. Since the
    # fold means are summed in chunks (issue 17) that layer runs in ~70 MiB (312M folds on 8x4, ~5 s CPU); a 1e6^3
    # GEMM (3.1e10 folds) is still refused by the estimate, before anything is allocated.
    topology = _write(tmp_path, "t.csv", "Layer, M, N, K,\nhuge, 1000000, 1000000, 1000000,\n")
    message = _error(run_scalesim, _config(tmp_path), topology, tmp_path / "out", "gemm")
    assert "'huge'" in message and "folds" in message and "CHIPLAB_MAX_MEMORY_BYTES" in message


def test_depthwise_channels_share_one_result_and_progress_goes_to_stderr(tmp_path, monkeypatch, capsys):
    import chiplab.scalesim.run as run_module

    monkeypatch.setattr(run_module, "PROGRESS_EVERY_S", 0.0)
    topology = _write(tmp_path, "t.csv", "Layer name, H, W, R, S, C, N, stride,\nDP_a, 10, 10, 3, 3, 40, 1, 1,\n")
    results = run_scalesim(_config(tmp_path), topology, tmp_path / "out", "conv")
    assert [r.layer_name for r in results[:2]] == ["DP_aChannel_0", "DP_aChannel_1"]
    assert [r.layer_id for r in results] == list(range(40))
    assert len({(r.total_cycles, r.num_ifmap_dram_reads) for r in results}) == 1
    captured = capsys.readouterr()
    assert "40/40 layers" in captured.err and captured.out == ""
