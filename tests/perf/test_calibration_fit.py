"""The calibration fitted from the micro-benchmark record (issue 13, part 2): hand-checked factors, the fallback chain,
the default applied everywhere, the ideal calibration as an upper bound, leave-one-source-out, no end-to-end run read.
"""

import dataclasses
import json
import statistics

import pytest

from chiplab import ChiplabInputError, Gemm
from chiplab.cli import main
from chiplab.hardware import list_chips, load_chip
from chiplab.perf import (
    Calibration,
    calibration_report,
    end_to_end_runs,
    estimate_serving,
    estimate_step,
    estimate_training,
    fit_calibration,
    fitted_calibration,
    gemm_on_chip,
    get_measurement,
    micro_benchmarks,
    shape_class_of,
)
from chiplab.perf.calibration_fit import default_fit
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model

LLAMA_8B = load_model("llama3-8b")


def test_matmul_factor_by_hand_from_its_one_entry():
    """H100 fp8 has one entry: Stas Bekman's MAMF table, 1402.6 TFLOPS on 1024 × 9216 × 14336 (ml-engineering,
    compute/accelerator/benchmarks, FP8 table). Measured time = 2·m·n·k ÷ 1402.6e12; the factor is chiplab's
    modelled time of that GEMM ÷ that."""
    measured_s = 2 * 1024 * 9216 * 14336 / 1402.6e12
    modelled_s = gemm_on_chip(Gemm(m=1024, n=9216, k=14336, dtype="fp8"), load_chip("h100_sxm")).time_s
    found = default_fit().factor("matmul", "h100_sxm", "fp8")
    assert found.level == "own" and found.entry_ids == ("mamf_h100_sxm_fp8",)
    assert found.value == pytest.approx(modelled_s / measured_s)
    assert fitted_calibration("h100_sxm", "fp8").matmul_efficiency_fraction == pytest.approx(modelled_s / measured_s)


def test_memory_factor_by_hand_from_its_one_entry():
    """V100 PCIe: RRZE gpu-benches' cuda-roofline, 869 GB/s memory-bound, against the catalog's 900 GB/s HBM2."""
    found = default_fit().factor("memory", "v100")
    assert found.entry_ids == ("cuda_roofline_v100_pcie_memory_bound",)
    assert found.value == pytest.approx(869e9 / load_chip("v100").hbm.bandwidth_bytes_per_s)


def test_best_kernel_is_the_achievable_one():
    """The NKI tutorial's four kernels of one GEMM: the fit keeps the best (6.97 ms on one NeuronCore, whose
    published 85 % utilisation the factor matches within a few points), not the unoptimised steps."""
    found = default_fit().factor("matmul", "trainium1", "bf16")
    assert found.level == "own" and len(found.entry_ids) == 4
    modelled_s = gemm_on_chip(Gemm(m=4096, n=8192, k=8192), load_chip("trainium1")).time_s * 2  # one of 2 cores
    assert found.value == pytest.approx(modelled_s / 6.97e-3)
    assert found.value == pytest.approx(0.8524, abs=0.05)


def test_fallback_chain_family_then_all_chips():
    fit = default_fit()
    trn1 = fit.factor("matmul", "trainium1")
    assert fit.factor("matmul", "trainium2") == dataclasses.replace(trn1, level="family trainium")
    memory = fit.factor("memory", "trainium2")  # no Neuron memory benchmark: the median over every measured chip
    per_chip = [fit.factor("memory", c).value for c in ("a100_80gb", "h100_sxm", "h200", "mi300x", "v100", "tpu7x")]
    assert memory.level == "all chips" and memory.value == pytest.approx(statistics.median(per_chip))
    calibration = fitted_calibration("trainium2")
    assert any("memory from all chips" in line for line in calibration.fallbacks)
    step = estimate_step(LLAMA_8B.decode_step(batch=1, context_len=512), load_chip("trainium2"))
    assert any("memory from all chips" in line for line in step.assumptions)  # the estimate says so


def test_toy_chips_keep_the_ideal_hardware():
    calibration = fitted_calibration("toy_4x4")
    assert calibration.matmul_efficiency_fraction == 1 and "toy" in calibration.name


@pytest.mark.slow
def test_default_is_fitted_and_ideal_is_an_upper_bound_on_every_chip():
    step = LLAMA_8B.training_step(batch=1, seq_len=256)
    for chip_id in list_chips():
        chip = load_chip(chip_id)
        if chip.kind == "toy" or "bf16" not in chip.peak_dtypes:  # TPU v1 is int8 only
            continue
        default = estimate_step(step, chip)
        ideal = estimate_step(step, chip, Calibration.ideal())
        assert default.calibration.name == f"fitted ({chip_id}, bf16)"
        assert ideal.calibration.is_ideal and ideal.time_s <= default.time_s, chip_id


def test_training_and_serving_use_the_fitted_default_and_name_it():
    chip = load_chip("h100_sxm")
    setup = dict(parallelism=Parallelism(tensor=8, data=2), global_batch=4, seq_len=1024)
    default = estimate_training(LLAMA_8B, chip, **setup)
    ideal = estimate_training(LLAMA_8B, chip, **setup, calibration=Calibration.ideal())
    assert default.calibration == fitted_calibration(chip)
    assert any(line.startswith("calibration: fitted (h100_sxm") for line in default.assumptions)
    assert default.tensor_comm_s > ideal.tensor_comm_s and default.time_s > ideal.time_s
    served = estimate_serving(LLAMA_8B, chip, batch=4, prompt_len=128, output_len=16, tensor_parallel=2)
    assert served.calibration == fitted_calibration(chip)


def test_shape_classes():
    assert shape_class_of(Gemm(m=2048, n=2048, k=2048)) == "large"
    assert shape_class_of(Gemm(m=1024, n=1024, k=1024)) == "small"
    assert shape_class_of(Gemm(m=1, n=8192, k=8192)) == "small"


def test_leave_one_source_out_has_one_row_per_source():
    report = calibration_report(("h100_sxm", "trainium2"))
    sources = {b.source.id for b in micro_benchmarks()}
    assert sorted(s.source_id for s in report.sources) == sorted(sources)
    nki = next(s for s in report.sources if s.source_id == "NKI-MATMUL-TUTORIAL-2024")
    # Without AWS's tutorial, Trainium1's GEMMs are predicted from all chips' median: it must say so.
    assert [p.level for p in nki.predictions] == ["all chips"]
    assert "| trainium2 | matmul bf16 large" in report.factors_table()


def test_no_end_to_end_run_is_read_by_the_fit():
    inputs = set(default_fit().inputs)
    assert inputs == {b.id for b in micro_benchmarks()}
    assert not inputs & {r.id for r in end_to_end_runs()}
    with pytest.raises(ChiplabInputError, match="micro-benchmarks only"):
        fit_calibration([end_to_end_runs()[0]])


def test_a_benchmark_the_model_cannot_place_is_refused_naming_it():
    wrong = dataclasses.replace(get_measurement("mamf_a100_bf16"), dtype="fp8")  # A100 has no fp8 tensor cores
    with pytest.raises(ChiplabInputError, match=r"mamf_a100_bf16.*fp8"):
        fit_calibration([wrong])
    unstated = fit_calibration([get_measurement("nki_gemm_trn1_512")])  # 'not stated' is recorded, not guessed
    assert unstated.points == () and "dtype not stated" in unstated.skipped[0][1]


def test_user_calibrations_are_still_checked():
    with pytest.raises(ChiplabInputError, match="network_efficiency_fraction"):
        Calibration(network_efficiency_fraction=0)
    with pytest.raises(ChiplabInputError, match="collective_latency_s"):
        Calibration(collective_latency_s=-1e-6)
    with pytest.raises(ChiplabInputError, match="calibration must be a Calibration"):
        estimate_step(LLAMA_8B.decode_step(batch=1, context_len=8), load_chip("h100_sxm"), "ideal")
    with pytest.raises(ChiplabInputError, match="dtype"):
        fitted_calibration("h100_sxm", "bf17")


def test_cli_prints_factors_and_errors(capsys):
    assert main(["calibration", "--chips", "trn2"]) == 0
    assert "family trainium" in capsys.readouterr().out
    assert main(["calibration", "--errors", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len({b.source.id for b in micro_benchmarks()}) and "median |error|" in rows[0]
