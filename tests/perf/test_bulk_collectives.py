"""Collectives between the latency and bandwidth bands (1 MiB < message < 256 MiB): the "bulk" line fitted from
message-size sweeps (issue 13). Expected numbers come from Azure's AI-benchmarking-guide all-reduce tables
(ND MI300X v5 RCCL, ND H100 v5 / ND H200 v5 NCCL, rows 2M ... 8G; chiplab/data/measurements/
micro_collectives_sweeps.toml) and from numpy's least squares, never from chiplab itself."""

import dataclasses
import itertools

import numpy as np
import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf import Calibration, calibration_report, fitted_calibration, network_for
from chiplab.perf.calibration_fit import FitPoint, _bulk_line, default_fit

MIB = 2**20


def _points(modelled_s, measured_s):
    return [FitPoint(f"p{i}", "S", "bulk", "mi300x", "all_reduce", m, t, 8)
            for i, (m, t) in enumerate(zip(modelled_s, measured_s, strict=True))]


def test_a_line_through_exact_points_is_recovered():
    modelled = [10e-6, 40e-6, 160e-6, 640e-6]
    measured = [50e-6 + m / 0.7 for m in modelled]
    latency_s, efficiency = _bulk_line(_points(modelled, measured), network_fraction=0.9)
    assert latency_s == pytest.approx(50e-6) and efficiency == pytest.approx(0.7)


def test_the_line_is_numpys_weighted_least_squares_on_relative_error():
    """Minimise Σ ((α + c·m − t) / t)²: numpy's lstsq on rows scaled by 1/t (an independent solver)."""
    modelled = np.array([15.6, 26.1, 47.0, 89.0, 172.8, 340.5, 675.8]) * 1e-6
    measured = np.array([84.5, 88.9, 111.6, 171.2, 254.9, 440.9, 807.7]) * 1e-6
    design = np.stack([np.ones_like(modelled), modelled], axis=1) / measured[:, None]
    (alpha, slope), *_ = np.linalg.lstsq(design, np.ones_like(measured), rcond=None)
    latency_s, efficiency = _bulk_line(_points(list(modelled), list(measured)), network_fraction=0.99)
    assert latency_s == pytest.approx(alpha) and efficiency == pytest.approx(1 / slope)


def test_the_band_cannot_stream_faster_than_large_messages_and_one_size_is_no_line():
    modelled = [10e-6, 100e-6]
    measured = [20e-6 + m / 0.95 for m in modelled]  # would fit 0.95, above the large-message factor 0.8
    latency_s, efficiency = _bulk_line(_points(modelled, measured), network_fraction=0.8)
    assert efficiency == pytest.approx(0.8) and latency_s >= 0
    assert _bulk_line(_points([10e-6, 10e-6], [30e-6, 31e-6]), network_fraction=0.8) is None


@pytest.mark.parametrize(("chip_id", "bus_gb_per_s"), [("mi300x", 171.46), ("h100_sxm", 234.45), ("h200", 240.41)])
def test_16_mib_all_reduce_matches_the_measured_sweep(chip_id, bus_gb_per_s):
    """Azure's 16M row (16 MiB over 8 GPUs): time = 16 MiB · 2·7/8 ÷ bus bandwidth. The fitted line lands within
    15 %; the two-band model (latency + large-message efficiency) was 10-27 % fast there."""
    chip = load_chip(chip_id)
    measured_s = 16 * MIB * 2 * 7 / 8 / (bus_gb_per_s * 1e9)
    calibration = fitted_calibration(chip_id)
    predicted_s = calibration.collective_s("all_reduce", 16 * MIB, 8, network_for(chip))
    assert predicted_s == pytest.approx(measured_s, rel=0.15)
    two_band = dataclasses.replace(calibration, bulk_collective_latency_s=None, bulk_network_efficiency_fraction=None)
    assert two_band.collective_s("all_reduce", 16 * MIB, 8, network_for(chip)) < 0.9 * measured_s


def test_mi300x_bulk_line_is_its_own_rccl_sweep():
    found = default_fit().factor("bulk_latency", "mi300x")
    assert found.level == "own" and len(found.entry_ids) == 7
    assert all(entry.startswith("azure_rccl_allreduce_mi300x_8gpu_") for entry in found.entry_ids)


@pytest.mark.parametrize("chip_id", ["mi300x", "h100_sxm", "h200", "a100_80gb", "tpu_v5e", "trainium2"])
def test_time_never_falls_as_the_message_grows(chip_id):
    chip = load_chip(chip_id)
    calibration, network = fitted_calibration(chip_id), network_for(chip)
    sizes = [2**p for p in range(10, 34)] + [MIB - 1, MIB + 1, 256 * MIB - 1, 256 * MIB + 1]
    times = [calibration.collective_s("all_reduce", size, 8, network) for size in sorted(sizes)]
    assert all(later >= earlier for earlier, later in itertools.pairwise(times))


def test_a_family_without_a_line_keeps_two_bands_and_says_so():
    """No TPU or Neuron sweep has two sizes in the band: a GPU library's line is not lent to them."""
    for chip_id in ("tpu_v6e", "trainium2"):
        calibration = fitted_calibration(chip_id)
        assert calibration.bulk_collective_latency_s is None and calibration.bulk_network_efficiency_fraction is None
        assert any("no bulk collective line" in line for line in calibration.fallbacks)
    assert fitted_calibration("a100_80gb").bulk_collective_latency_s is not None  # its GPU family has lines


def test_leave_one_source_out_predicts_the_sweeps():
    rows = {row.source_id: row for row in calibration_report(("mi300x",)).sources}
    nccl = rows["AZURE-AIBENCH-NCCL"]
    assert {p.quantity for p in nccl.predictions} >= {"bulk", "network"}
    assert all(p.level != "own" for p in nccl.predictions if p.quantity == "bulk" and p.chip_id == "h100_sxm")


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"bulk_collective_latency_s": 1e-5}, "bulk_network_efficiency_fraction"),
    ({"bulk_network_efficiency_fraction": 0.5}, "bulk_collective_latency_s"),
    ({"bulk_collective_latency_s": -1e-6, "bulk_network_efficiency_fraction": 0.5}, "bulk_collective_latency_s"),
    ({"bulk_collective_latency_s": 1e-6, "bulk_network_efficiency_fraction": 1.5}, "bulk_network_efficiency_fraction"),
    ({"bulk_collective_latency_s": float("nan"), "bulk_network_efficiency_fraction": 0.5}, "bulk_collective_latency_s"),
])
def test_bad_bulk_calibrations_are_refused_naming_the_field(kwargs, named):
    with pytest.raises(ChiplabInputError, match=named):
        Calibration(**kwargs)
