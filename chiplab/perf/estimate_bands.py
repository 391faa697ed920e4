"""The error band an estimate carries: which validation errors apply to it, decided once for every estimator.

A band (:func:`chiplab.perf.error_band`) is the spread of chiplab's errors on published runs *made with the
default, fitted calibration*. So it describes an estimate only when that estimate used the chip's fitted
calibration too: with :meth:`Calibration.ideal` (an upper bound) or an efficiency typed by hand, the record says
nothing about the error, and the estimate carries no band (None) rather than a wrong one. Invented (toy) chips,
the TPU paper's baselines, chips of one's own design and chips of a vendor the record does not cover have none
either.

:func:`training_band` and :func:`serving_band` are what :func:`~chiplab.perf.estimate_training`,
:func:`~chiplab.perf.estimate_serving` and the cost layer's throughputs call; :func:`speed_range` and
:func:`time_range` turn a band and a predicted value into the (low, high) of the true one, and
:class:`BandRanges` gives every estimate the two ranges they all have.
"""

from __future__ import annotations

import functools
from typing import Protocol

from chiplab._checks import instance_of, one_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import list_chips
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import DTYPES
from chiplab.perf.calibration import Calibration
from chiplab.perf.calibration_fit import fitted_calibration
from chiplab.perf.validation_bands import ErrorBand, error_band
from chiplab.perf.validation_record import FAMILY_OF_VENDOR, KINDS


def band_for(chip: Chip, kind: str, dtype: str, calibration: Calibration) -> ErrorBand | None:
    """The error band of ``kind`` work on ``chip``, or None where the record says nothing about this estimate
    (see the module docstring)."""
    instance_of("chip", chip, Chip, "a Chip (chiplab.hardware.load_chip)")
    kind = one_of("kind", kind, KINDS)
    dtype = one_of("dtype", dtype, DTYPES)
    instance_of("calibration", calibration, Calibration, "a Calibration")
    if chip.kind != "real" or chip.vendor not in FAMILY_OF_VENDOR or chip.id not in list_chips():
        return None
    if calibration != fitted_calibration(chip, dtype):
        return None
    return _catalog_band(chip.id, kind)


@functools.lru_cache(maxsize=256)
def _catalog_band(chip_id: str, kind: str) -> ErrorBand | None:
    """The band of a catalog chip, once per process (the shipped record is read once per process too)."""
    try:
        return error_band(chip_id, kind)
    except ChiplabInputError:  # a record with too few validated cases for any band
        return None


def training_band(chip: Chip, dtype: str, calibration: Calibration) -> ErrorBand | None:
    return band_for(chip, "training", dtype, calibration)


def serving_band(chip: Chip, dtype: str, calibration: Calibration) -> ErrorBand | None:
    return band_for(chip, "serving", dtype, calibration)


def speed_range(band: ErrorBand | None, predicted: float) -> tuple[float, float] | None:
    """(low, high) of the true speed (a rate: tokens/s, MFU) around a predicted one; None without a band."""
    return None if band is None else band.apply(predicted)


def time_range(band: ErrorBand | None, predicted_s: float) -> tuple[float, float] | None:
    """(low, high) of the true time around a predicted one; None without a band."""
    return None if band is None else band.apply_to_time(predicted_s)


class _Banded(Protocol):
    """An estimate with an error band (None: the record says nothing about it), a time and a token rate."""

    @property
    def band(self) -> ErrorBand | None: ...
    @property
    def time_s(self) -> float: ...
    @property
    def tokens_per_s(self) -> float: ...


class BandRanges:
    """The ranges every banded estimate has (training, serving, the LLM view); each adds its own quantities'."""

    @property
    def time_s_range(self: _Banded) -> tuple[float, float] | None:
        """(low, high) of the true ``time_s`` over :attr:`band`; None without a band."""
        return time_range(self.band, self.time_s)

    @property
    def tokens_per_s_range(self: _Banded) -> tuple[float, float] | None:
        """(low, high) of the true ``tokens_per_s`` over :attr:`band`; None without a band."""
        return speed_range(self.band, self.tokens_per_s)
