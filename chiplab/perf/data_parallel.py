"""The data-parallel side of a training step: where a data-parallel group's members sit, and how much of its
gradient synchronisation (and, fully sharded, its parameter gathers) the compute cannot hide.

* **Gradient all-reduce** of the chip's gradient shard, overlapped with the backward pass of the last microbatch
  (the gradients are final only then) for ``dp_overlap_fraction`` of its time (PyTorch DDP buckets gradients for
  this: Li et al., VLDB 2020); with ZeRO >= 1 a reduce-scatter behind that backward and a weight all-gather behind
  the next step's first forward; or, where a source states it, ``dp_hidden_fraction`` of the traffic hidden and the
  rest exposed.
* **Fully sharded data parallelism** (ZeRO stage 3, PyTorch FSDP): every microbatch all-gathers the stage's weights
  before its forward and its backward pass, and the gradients are reduce-scattered layer by layer during the
  backward passes (Rajbhandari et al., SC'20, Sec. 5; Zhao et al., "PyTorch FSDP", VLDB 2023); the gathers are
  prefetched while the previous layer computes, so only what ``fsdp_overlap_fraction`` of the compute time cannot
  cover is exposed.

:func:`chiplab.perf.training.estimate_training` calls :func:`gradient_sync` with the group of data x context
parallelism, over which weight gradients are reduced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chiplab._checks import instance_of, positive_int
from chiplab._guard import check_resources
from chiplab.perf.calibration import Calibration
from chiplab.perf.collectives import Network
from chiplab.workloads.footprint import Parallelism

# Candidate divisors data_peers_per_domain tries a second: 2e7 measured (10^7 in 0.5 s, 2-core machine,
# 2026-12-08), taken lower for a loaded machine
DIVISORS_PER_S = 1e7


@dataclass(frozen=True)
class GradientSync:
    """One training step's data-parallel traffic as one chip sees it."""

    exposed_s: float  # gradient reduction (and ZeRO >= 1's weight all-gather) the backward/forward could not hide
    fsdp_gather_exposed_s: float  # ZeRO-3's per-microbatch parameter all-gathers the compute could not hide
    peers_per_domain: int  # members of the data-parallel group in one scale-up domain (data_peers_per_domain)


def data_peers_per_domain(parallelism: Parallelism, scale_up_size: int) -> int:
    """How many members of one data-parallel group share a scale-up domain (a node, a pod slice).

    Frameworks place the tensor-parallel ranks of a replica next to each other (Megatron-LM's rank order is tensor,
    context, data, pipeline — ``megatron/core/parallel_state.py``; MaxText's mesh puts its tensor axis innermost), so
    a domain of D chips holds D // t replicas' ranks of the same stage: the data-parallel collective is hierarchical
    with that many members per domain, each carrying 1/(D // t) of the data over the scale-out network — not 1/D.
    The count is a divisor of d (groups tile the domains evenly), at least 1 (t >= D: one member per domain)."""
    instance_of("parallelism", parallelism, Parallelism, "a Parallelism, e.g. Parallelism(tensor=8, data=64)")
    data = parallelism.data
    limit = min(max(1, positive_int("scale_up_size", scale_up_size) // parallelism.tensor), data)
    # The largest divisor of d at most ``limit``: divisors pair up as (n, d // n) around √d, so looking at
    # n <= min(limit, √d) finds every one (a what-if of 10^12 ways in a 10^15-chip domain no longer loops 10^12 times)
    candidates = min(limit, math.isqrt(data))
    check_resources("data_peers_per_domain's divisor search", work=candidates, work_unit="candidate divisors",
                    work_per_s=DIVISORS_PER_S)
    best = 1
    for small in range(1, candidates + 1):
        if data % small == 0:
            best = max(best, data // small if data // small <= limit else small)
    return best


def _exposed_gradient_sync_s(data_comm_s: float, by_stage: dict[str, float], zero_stage: int,
                             overlap_fraction: float) -> float:
    """Exposed time of a data-parallel gradient sync under gradient accumulation: the gradients are final only in
    the last microbatch's backward, so the reduction overlaps that one backward pass (PyTorch DDP's ``no_sync``
    accumulation, Li et al. VLDB 2020; Megatron-LM ``--overlap-grad-reduce``: "overlap ... with the backward pass of
    the last microbatch"). With a sharded optimizer (ZeRO >= 1) the sync is a reduce-scatter, then an all-gather of
    the updated weights that overlaps the next step's first forward pass (``--overlap-param-gather``)."""
    backward_s, forward_s = by_stage.get("backward", 0.0), by_stage.get("forward", 0.0)
    if zero_stage == 0:
        return max(0.0, data_comm_s - overlap_fraction * backward_s)
    half = data_comm_s / 2  # reduce-scatter, then all-gather: each half an all-reduce's traffic
    return max(0.0, half - overlap_fraction * backward_s) + max(0.0, half - overlap_fraction * forward_s)


def gradient_sync(*, group: Parallelism, stage_param_bytes: float, calibration: Calibration, network: Network,
                  by_stage: dict[str, float], num_microbatches: int, compute_s: float, frozen_base_weights: bool,
                  dp_overlap_fraction: float, dp_hidden_fraction: float | None,
                  fsdp_overlap_fraction: float) -> GradientSync:
    """The exposed data-parallel time of one step (see the module docstring), for checked arguments.

    ``group``: the parallelism whose ``data`` ways reduce the gradients (data x context parallelism);
    ``stage_param_bytes``: the bf16 weights (= gradients) of one chip's stage; ``by_stage``: one microbatch's time
    per stage (forward, backward, ...); ``compute_s``: all microbatches' forward + backward; ``frozen_base_weights``:
    LoRA, whose base weights have no gradients to reduce."""
    ways = group.data
    fully_sharded = group.zero_stage >= 3 and ways > 1
    peers = data_peers_per_domain(group, network.scale_up_size)
    reduction = "reduce_scatter" if fully_sharded else "all_reduce"
    data_comm = (calibration.collective_s(reduction, stage_param_bytes, ways, network, peers)
                 if ways > 1 and not frozen_base_weights else 0.0)  # LoRA: only the (negligible) adapters' gradients
    if dp_hidden_fraction is not None:
        exposed = (1 - dp_hidden_fraction) * data_comm
    elif fully_sharded:  # gradients reduce-scattered layer by layer during the backward passes
        exposed = max(0.0, data_comm - dp_overlap_fraction * by_stage.get("backward", 0.0) * num_microbatches)
    else:
        exposed = _exposed_gradient_sync_s(data_comm, by_stage, group.zero_stage, dp_overlap_fraction)
    gathers_s = (2 * num_microbatches * calibration.collective_s("all_gather", stage_param_bytes, ways, network,
                                                                  peers) if fully_sharded else 0.0)
    fsdp_exposed = max(0.0, gathers_s - fsdp_overlap_fraction * compute_s)
    return GradientSync(exposed_s=exposed, fsdp_gather_exposed_s=fsdp_exposed, peers_per_domain=peers)
