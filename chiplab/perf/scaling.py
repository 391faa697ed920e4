"""Scale-out sweeps: how throughput grows as data parallelism adds chips (weak scaling: fixed batch per replica)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from chiplab._checks import instance_of, positive_int
from chiplab._guard import MODEL_ESTIMATES_PER_S, check_sweep
from chiplab.hardware.chip import Chip
from chiplab.perf.training import TrainingEstimate, estimate_training
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.transformer import TransformerConfig


@dataclass(frozen=True)
class ScalingSweep:
    """Training throughput for several data-parallel widths of the same replica."""

    model_name: str
    chip_id: str
    replica: Parallelism  # tensor × pipeline of one replica (data = 1)
    estimates: tuple[TrainingEstimate, ...]

    @property
    def num_chips(self) -> np.ndarray:
        return np.array([e.num_chips for e in self.estimates])

    @property
    def tokens_per_s(self) -> np.ndarray:
        return np.array([e.tokens_per_s for e in self.estimates])

    @property
    def efficiency_fraction(self) -> np.ndarray:
        """Throughput per chip relative to the smallest configuration's (1 = perfect linear scaling)."""
        per_chip = self.tokens_per_s / self.num_chips
        return per_chip / per_chip[0]


def sweep_data_parallel(config: TransformerConfig, chip: Chip, *, replica: Parallelism, data_values: Iterable[int],
                        batch_per_replica: int, seq_len: int, **kwargs) -> ScalingSweep:
    """Estimate training with ``data`` replicas for each value in ``data_values`` (weak scaling)."""
    instance_of("replica", replica, Parallelism, "a Parallelism, e.g. Parallelism(tensor=8, pipeline=4)")
    check_sweep("data_values", data_values, work_unit="training estimates", per_s=MODEL_ESTIMATES_PER_S)
    instance_of("chip", chip, Chip, "a Chip (load_chip('h100'))")
    batch_per_replica = positive_int("batch_per_replica", batch_per_replica)
    estimates = []
    for data in data_values:
        parallelism = dataclasses.replace(replica, data=positive_int("data", data))
        estimates.append(estimate_training(config, chip, parallelism=parallelism,
                                           global_batch=batch_per_replica * data, seq_len=seq_len, **kwargs))
    return ScalingSweep(model_name=config.name, chip_id=chip.id, replica=replica, estimates=tuple(estimates))
