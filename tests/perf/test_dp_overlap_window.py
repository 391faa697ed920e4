"""Data-parallel gradient sync under gradient accumulation overlaps only the last microbatch's backward pass.

Gradients are final only once the last microbatch's backward has produced them, so the reduction can hide behind
that one backward (PyTorch DDP's ``no_sync`` accumulation; Megatron-LM ``--overlap-grad-reduce``). With a sharded
optimizer (ZeRO-1, Megatron's distributed optimizer) the sync is a reduce-scatter, hidden behind that backward, and an
all-gather of the updated weights, hidden behind the next step's first forward (``--overlap-param-gather``).
"""

import pytest

from chiplab.hardware.catalog import load_chip
from chiplab.perf import estimate_training
from chiplab.perf.calibration_fit import calibration_or_fitted
from chiplab.perf.collectives import network_for
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model


@pytest.mark.parametrize("zero_stage", [0, 1])
def test_gradient_sync_hides_behind_one_microbatch_not_all_of_them(zero_stage):
    model, chip = load_model("llama3-8b"), load_chip("h100_sxm")
    parallelism = Parallelism(data=64, zero_stage=zero_stage)
    run = estimate_training(model, chip, parallelism=parallelism, global_batch=64 * 16, seq_len=2048,
                            num_microbatches=16, recompute="full", check_memory=False)
    by_stage = run.microbatch_step.time_by("stage")
    calibration = calibration_or_fitted(chip, model.dtype, None)
    # The chip's gradients (bf16, 2 B per parameter), all-reduced over the 64 replicas.
    sync_s = calibration.collective_s("all_reduce", model.num_params * 2, 64, network_for(chip))
    if zero_stage == 0:
        expected = max(0.0, sync_s - by_stage["backward"])
    else:
        expected = max(0.0, sync_s / 2 - by_stage["backward"]) + max(0.0, sync_s / 2 - by_stage["forward"])
    assert run.data_comm_exposed_s == pytest.approx(expected)
    # 16 microbatches' backward would have hidden it all: the old, optimistic window.
    assert sync_s < 16 * by_stage["backward"]
    assert run.data_comm_exposed_s > 0
