"""The measurement record (chiplab/data/measurements/): targets met, every entry sourced and complete, ids and
references resolve, values plausible against the catalog's own datasheet numbers (which catch ×1000 and bits/bytes
slips), and every kind of bad input file named precisely."""

import collections
import shutil
from datetime import date
from pathlib import Path

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf import (
    end_to_end_runs,
    get_measurement,
    load_measurements,
    micro_benchmarks,
    read_measurements,
)
from chiplab.perf.measurements import FAMILIES, NOT_IN_CATALOG, NOT_STATED
from chiplab.workloads import list_models, load_model

DATA = Path(__file__).resolve().parents[2] / "chiplab" / "data" / "measurements"
RECORD = load_measurements()
ENTRIES = (*RECORD.benchmarks, *RECORD.runs)
TODAY = date.today()  # an access date may not lie in the future


# --- targets (issue 13, part 1) --------------------------------------------------------------------------------

def test_at_least_40_micro_benchmarks_covering_every_vendor_family():
    assert len(RECORD.benchmarks) >= 40
    vendors = collections.Counter(b.vendor for b in RECORD.benchmarks)
    assert set(vendors) == {"NVIDIA", "AMD", "Google", "AWS"}, vendors
    assert {b.kind for b in RECORD.benchmarks} == {"gemm", "memory_bandwidth", "collective", "host_device"}


def test_at_least_30_runs_with_6_per_family_covering_training_and_serving():
    assert len(RECORD.runs) >= 30
    for family in FAMILIES:
        runs = end_to_end_runs(family=family)
        assert len(runs) >= 6, (family, len(runs))
        assert {r.workload for r in runs} == {"training", "serving"}, family
    assert {r.vendor for r in end_to_end_runs(family="gpu")} == {"NVIDIA", "AMD"}


# --- every entry sourced, complete, unique, resolvable ----------------------------------------------------------

@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_every_entry_has_source_access_date_and_place(entry):
    assert entry.source.url.startswith(("https://", "arXiv:", "doi:"))
    assert date(2020, 1, 1) <= entry.accessed <= TODAY
    assert entry.where.strip() and entry.system.strip() and entry.software.strip()
    assert entry.measured and set(entry.as_published) == set(entry.measured)


@pytest.mark.parametrize("run", RECORD.runs, ids=lambda r: r.id)
def test_every_run_states_its_setup_or_says_it_is_not_stated(run):
    fields = (["pipeline_parallel", "data_parallel", "sharding", "pipeline_schedule", "micro_batch", "global_batch",
               "seq_len", "recompute"] if run.workload == "training" else ["batch", "input_tokens", "output_tokens"])
    for field in ["num_chips", "precision", "tensor_parallel", *fields]:
        value = getattr(run, field)
        assert value == NOT_STATED or (isinstance(value, int) and value >= 1) or \
            (isinstance(value, str) and value.strip()), (run.id, field, value)


def test_ids_are_unique():
    ids = [e.id for e in ENTRIES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_chips_and_models_resolve_to_catalog_ids(entry):
    assert load_chip(entry.chip).id == entry.chip
    if hasattr(entry, "model"):
        assert entry.model in list_models() or (entry.model == NOT_IN_CATALOG and entry.needs_model)


def test_runs_on_models_without_a_preset_say_what_to_add():
    waiting = [r for r in RECORD.runs if r.model == NOT_IN_CATALOG]
    assert all("arXiv" in r.needs_model or "config.json" in r.needs_model for r in waiting)
    assert len(waiting) <= len(RECORD.runs) // 10, "most runs must be checkable against a catalog model"


def test_alternatives_come_with_a_reason():
    with_alternatives = [e for e in ENTRIES if e.alternatives]
    assert with_alternatives, "the record keeps disagreeing sources (AMD's page revisions, tpu-recipes revisions)"
    for entry in with_alternatives:
        assert entry.choice.strip()
        assert all(a.quantity in entry.measured for a in entry.alternatives)


# --- plausibility against the catalog's datasheet numbers -------------------------------------------------------

def _peak(chip_id: str, dtype: str) -> float:
    chip = load_chip(chip_id)
    if dtype in chip.peak_dtypes:
        return chip.peak_flops_per_s(dtype)
    return max(chip.peak_flops_per_s(d) for d in chip.peak_dtypes)   # dtype not stated: the most generous peak


@pytest.mark.parametrize("bench", micro_benchmarks("gemm"), ids=lambda b: b.id)
def test_gemm_throughput_is_below_the_datasheet_peak(bench):
    flops = 2 * bench.m * bench.n * bench.k
    achieved = bench.measured["flops_per_s"] if "flops_per_s" in bench.measured else flops / bench.measured["time_s"]
    if "flops_per_s" in bench.measured and "time_s" in bench.measured:
        # the two published figures must agree with 2·m·n·k (a ms-vs-s slip breaks this)
        assert flops / bench.measured["time_s"] == pytest.approx(achieved, rel=0.01)
    if "hardware_flops_utilization_fraction" in bench.measured:
        assert 0 < bench.measured["hardware_flops_utilization_fraction"] <= 1, bench.id
    peak = _peak(bench.chip, bench.dtype)
    # Above the peak is impossible; below 0.01 % means a unit slip (dispatch-bound 512³ calls on Trn1 reach 0.05 %).
    assert 1e-4 * peak < achieved <= peak, (bench.id, achieved / peak)


@pytest.mark.parametrize("bench", micro_benchmarks("collective"), ids=lambda b: b.id)
def test_collective_bandwidth_is_plausible_and_consistent_with_its_time(bench):
    for key in ("bus_bytes_per_s", "algorithm_bytes_per_s", "bytes_per_s"):
        if key in bench.measured:
            # No published per-GPU scale-up link exceeds 1.8 TB/s (NVLink 5); NVLS may beat the link by ~30 %.
            assert 1e6 <= bench.measured[key] <= 1.8e12 * 1.3, (bench.id, key)
    busbw = bench.measured.get("bus_bytes_per_s")
    n = bench.num_chips
    factor = 2 * (n - 1) / n if bench.collective == "all_reduce" else (n - 1) / n  # nccl-tests' busbw factor
    if busbw is not None and "time_s" in bench.measured:
        assert factor * bench.message_bytes / bench.measured["time_s"] == pytest.approx(busbw, rel=0.03), bench.id
    if busbw is not None and "algorithm_bytes_per_s" in bench.measured:
        assert factor * bench.measured["algorithm_bytes_per_s"] == pytest.approx(busbw, rel=0.01), bench.id
    if "time_s" in bench.measured:
        assert 1e-6 <= bench.measured["time_s"] <= 10, bench.id


@pytest.mark.parametrize("bench", micro_benchmarks("memory_bandwidth"), ids=lambda b: b.id)
def test_memory_bandwidth_is_a_large_fraction_of_the_datasheet_hbm_bandwidth(bench):
    # STREAM-like kernels reach 70-95 % of the HBM spec; above it is impossible, far below means a unit slip.
    spec = load_chip(bench.chip).hbm.bandwidth_bytes_per_s
    assert 0.3 * spec < bench.measured["bytes_per_s"] <= spec, (bench.id, bench.measured["bytes_per_s"] / spec)


@pytest.mark.parametrize("bench", micro_benchmarks("host_device"), ids=lambda b: b.id)
def test_host_device_bandwidth_is_below_a_pcie_6_x16_link(bench):
    # PCIe 6.0 x16 carries about 128 GB/s per direction; NVLink-C2C hosts (not in the catalog) would need more.
    # Transfers under 1 MiB are latency-bound (tens of microseconds per call), so only large ones must exceed 0.1 GB/s.
    small = isinstance(bench.message_bytes, int) and bench.message_bytes < 2**20
    assert (1e6 if small else 1e8) < bench.measured["bytes_per_s"] < 128e9, bench.id
    if "time_s" in bench.measured and isinstance(bench.message_bytes, int):
        # both figures are rounded to two decimals, so agree within a factor 1.5, not 1 %
        ratio = bench.message_bytes / bench.measured["time_s"] / bench.measured["bytes_per_s"]
        assert 1 / 1.5 < ratio < 1.5, bench.id


def _bytes_per_param(run) -> int:
    text = run.precision.lower()
    return 1 if ("int8" in text or "fp8" in text) else 2


@pytest.mark.parametrize("run", end_to_end_runs("training"), ids=lambda r: r.id)
def test_training_throughput_is_below_the_peak_and_consistent_with_6n_per_token(run):
    m = run.measured
    if "mfu_fraction" in m:
        assert 0.05 < m["mfu_fraction"] < 0.8
    if "model_flops_per_s_per_chip" in m:
        dtype = "fp8" if "fp8" in run.precision.lower() else "bf16"
        assert 0.1 * _peak(run.chip, dtype) < m["model_flops_per_s_per_chip"] <= _peak(run.chip, dtype), run.id
    if "model_flops_per_s_per_chip" in m and "tokens_per_s_per_chip" in m and run.model != NOT_IN_CATALOG:
        # 6·N FLOPs per token (Kaplan et al. 2020) plus attention, which adds up to ~25 % at 8K context:
        six_n = 6 * load_model(run.model).num_params * m["tokens_per_s_per_chip"]
        assert 0.7 < six_n / m["model_flops_per_s_per_chip"] < 1.05, run.id
    if "step_time_s" in m:
        assert 0.1 < m["step_time_s"] < 1000
    if "time_to_train_s" in m and run.model != NOT_IN_CATALOG and isinstance(run.train_tokens, int):
        # MLPerf-style runs: the logged tokens over the logged time, at 6·N FLOPs per token, fit under the peak of
        # the run's number format (int8 and FP8 runs use the faster units) and above a tenth of the BF16 peak.
        tokens_per_s_per_chip = run.train_tokens / m["time_to_train_s"] / run.num_chips
        model_flops = 6 * load_model(run.model).num_params * tokens_per_s_per_chip
        number_format = next((d for d in ("int8", "fp8") if d in run.precision.lower()), "bf16")
        assert 0.1 * _peak(run.chip, "bf16") < model_flops <= _peak(run.chip, number_format), run.id


@pytest.mark.parametrize("run", end_to_end_runs("serving"), ids=lambda r: r.id)
def test_no_batch_1_decode_beats_the_hbm_roofline(run):
    """At batch 1 every output token reads all weights once: time ≥ weight bytes / (chips × HBM bandwidth)."""
    m = run.measured
    for key in ("time_per_output_token_s", "time_to_first_token_s", "latency_s"):
        if key in m:
            assert 1e-4 < m[key] < 100, (run.id, key)
    if run.batch != 1 or run.model == NOT_IN_CATALOG or run.num_chips == NOT_STATED:
        return
    chip = load_chip(run.chip)
    bound_s = load_model(run.model).num_params * _bytes_per_param(run) / (
        run.num_chips * chip.hbm.bandwidth_bytes_per_s)
    per_token_s = m.get("time_per_output_token_s") or m["latency_s"] / run.output_tokens
    assert bound_s <= per_token_s < 50 * bound_s, (run.id, per_token_s, bound_s)


# --- queries ----------------------------------------------------------------------------------------------------

def test_filters_by_kind_chip_alias_and_family():
    tpu_gemms = micro_benchmarks("gemm", family="tpu")
    assert tpu_gemms and all(b.chip.startswith("tpu") and b.kind == "gemm" for b in tpu_gemms)
    assert {r.chip for r in end_to_end_runs(chip="trn1")} == {"trainium1"}
    assert all(r.workload == "serving" for r in end_to_end_runs("serving"))
    with pytest.raises(ChiplabInputError, match="family"):
        micro_benchmarks(family="FPGA")
    with pytest.raises(ChiplabInputError, match="workload"):
        end_to_end_runs("inference")


def test_unknown_id_suggests_close_matches():
    assert get_measurement("mamf_h100_sxm_bf16").measured["flops_per_s"] == 794.5e12  # STAS-MLENG BF16 table
    with pytest.raises(ChiplabInputError, match=r"did you mean.*mamf_h100_sxm_bf16"):
        get_measurement("mamf_h100_bf16")


# --- bad input files --------------------------------------------------------------------------------------------

GOOD_GEMM = """
[[benchmark]]
id = "tmp_gemm"
kind = "gemm"
chip = "h100_sxm"
num_chips = 1
system = "not stated"
dtype = "bf16"
m = 1024
n = 1024
k = 1024
method = "not stated"
software = "not stated"
measured = { flops_per_s = 794.5e12 }
as_published = { flops_per_s = "794.5 TFLOPS" }
source = "STAS-MLENG"
where = "BF16 table"
accessed = 2026-12-07
"""


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    shutil.copy(DATA / "_sources.toml", tmp_path / "_sources.toml")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_good_file_loads(tmp_path):
    record = read_measurements(_folder(tmp_path, {"micro_tmp.toml": GOOD_GEMM}))
    assert [b.id for b in record.benchmarks] == ["tmp_gemm"]


@pytest.mark.parametrize(("old", "new", "message"), [
    ('system = "not stated"\n', "", r"micro_tmp.toml: entry 'tmp_gemm': missing setup field 'system'"),
    ('chip = "h100_sxm"', 'chip = "h100_sxn"', r"entry 'tmp_gemm': field 'chip': unknown chip.*did you mean h100"),
    ('chip = "h100_sxm"', 'chip = "h100"', r"field 'chip' must be the catalog id 'h100_sxm'"),
    ('"794.5 TFLOPS"', '"794.5 teraflops"', r"field 'measured.flops_per_s'.*must start with a number and a unit"),
    ('"794.5 TFLOPS"', '"794.5 GB/s"', r"field 'measured.flops_per_s'.*unit of bytes_per_s"),
    ("794.5e12", "794.5e9", r"field 'measured.flops_per_s'.*does not match as_published"),
    ("flops_per_s", "flops", r"field 'measured.flops'.*no unit in its name"),
    ("num_chips = 1", "num_chips = 0", r"field 'num_chips' must be a whole number >= 1 or 'not stated'"),
    ('source = "STAS-MLENG"', 'source = "NOPE"', r"entry 'tmp_gemm'.*source 'NOPE' is not in the source list"),
    ("accessed = 2026-12-07", 'accessed = "yesterday"', r"field 'accessed' must be a date"),
    ("m = 1024\nn = 1024\nk = 1024\n", "", r"missing setup field 'm', 'n', 'k'"),
    ('kind = "gemm"', 'kind = "gemv"', r"field 'kind' must be one of gemm"),
])
def test_bad_micro_benchmark_names_file_entry_and_field(tmp_path, old, new, message):
    assert old in GOOD_GEMM
    with pytest.raises(ChiplabInputError, match=message):
        read_measurements(_folder(tmp_path, {"micro_tmp.toml": GOOD_GEMM.replace(old, new)}))


def test_bits_read_as_bytes_is_caught(tmp_path):
    # 1600 Gbps is 200 GB/s: storing 1.6e12 B/s for it is the classic bits-vs-bytes slip.
    text = GOOD_GEMM.replace('kind = "gemm"', 'kind = "host_device"').replace(
        "m = 1024\nn = 1024\nk = 1024\n", 'direction = "host to device"\nmessage_bytes = 1073741824\n').replace(
        'flops_per_s = 794.5e12 }', 'bytes_per_s = 1.6e12 }').replace(
        'flops_per_s = "794.5 TFLOPS"', 'bytes_per_s = "1600 Gbps"')
    with pytest.raises(ChiplabInputError, match=r"measured.bytes_per_s.*does not match.*bits vs bytes"):
        read_measurements(_folder(tmp_path, {"micro_tmp.toml": text}))


def test_a_folder_that_is_not_a_path_or_not_text_is_refused(tmp_path):
    """Issue 10 item 8: an int raised TypeError inside pathlib; a non-UTF-8 file raised UnicodeDecodeError."""
    with pytest.raises(ChiplabInputError, match=r"directory must be the path of a folder.*got 0 \(int\)"):
        read_measurements(0)
    with pytest.raises(ChiplabInputError, match=r"has no _sources.toml"):
        read_measurements("a\x00b")
    folder = _folder(tmp_path, {})
    (folder / "micro_latin1.toml").write_bytes("note = 'caf\xe9'".encode("latin-1"))
    with pytest.raises(ChiplabInputError, match=r"cannot read measurement file .*micro_latin1.toml"):
        read_measurements(folder)


def test_a_duplicated_id_names_both_files(tmp_path):
    with pytest.raises(ChiplabInputError, match=r"micro_b.toml: entry 'tmp_gemm'.*already used in micro_a.toml"):
        read_measurements(_folder(tmp_path, {"micro_a.toml": GOOD_GEMM, "micro_b.toml": GOOD_GEMM}))


GOOD_RUN = """
[[run]]
id = "tmp_run"
workload = "serving"
chip = "inferentia2"
num_chips = 12
system = "inf2.48xlarge"
model = "llama3_8b"
model_as_published = "Llama-3-8B"
precision = "not stated"
tensor_parallel = 24
batch = 1
input_tokens = 128
output_tokens = 3968
software = "not stated"
measured = { time_per_output_token_s = 0.00642 }
as_published = { time_per_output_token_s = "6.42 ms" }
source = "NEURON-INF2-DECODER"
where = "latency_data_decoder.csv"
accessed = 2026-12-07
"""


@pytest.mark.parametrize(("old", "new", "message"), [
    ('model = "llama3_8b"', 'model = "llama3_8"', r"runs_tmp.toml: entry 'tmp_run': field 'model': unknown model"
                                                  r".*did you mean llama3_8b"),
    ('model = "llama3_8b"', 'model = "not in catalog"', r"field 'needs_model' must name the model"),
    ('model = "llama3_8b"', 'model = "Llama-3-8B"', r"field 'model' must be the catalog id 'llama3_8b'"),
    ("batch = 1\n", "", r"entry 'tmp_run': missing setup field 'batch' \(write 'not stated'"),
    ('"6.42 ms"', '"6.42 s"', r"measured.time_per_output_token_s.*does not match.*×1000"),
    ('workload = "serving"', 'workload = "inference"', r"field 'workload' must be one of training, serving"),
    ("accessed = 2026-12-07\n", 'accessed = 2026-12-07\nbogus = 1\n', r"unknown key 'bogus'"),
    ("accessed = 2026-12-07\n", 'accessed = 2026-12-07\nalternatives = [{ quantity = "time_per_output_token_s", '
                                'value = 0.007, source = "NEURON-INF2-DECODER" }]\n',
     r"field 'choice' must say why"),
])
def test_bad_run_names_file_entry_and_field(tmp_path, old, new, message):
    assert old in GOOD_RUN
    with pytest.raises(ChiplabInputError, match=message):
        read_measurements(_folder(tmp_path, {"runs_tmp.toml": GOOD_RUN.replace(old, new)}))


def test_a_run_in_a_micro_file_and_a_stray_file_are_refused(tmp_path):
    with pytest.raises(ChiplabInputError, match=r"micro_tmp.toml: unknown key 'run'"):
        read_measurements(_folder(tmp_path, {"micro_tmp.toml": GOOD_RUN}))
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(ChiplabInputError, match=r"extra.toml: measurement files are named micro_"):
        read_measurements(_folder(other, {"extra.toml": GOOD_GEMM}))
