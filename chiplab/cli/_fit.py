"""Default parallelism for ``chiplab train`` and ``chiplab serve``: the smallest split whose memory fits each chip.

The fit is the performance model's own memory footprint (``estimate.memory``, from
:mod:`chiplab.workloads.footprint`) against the chip's HBM capacity; nothing here re-derives bytes. The search
only widens the model-parallel split that the user left unset, in powers of two, which is what Megatron-style
deployments use (Narayanan et al., SC'21, Sec. 5: t within a node, then p across nodes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.perf import (
    ServingEstimate,
    SpeedTargetResult,
    TrainingEstimate,
    estimate_serving,
    estimate_training,
    serve_at_speed,
)
from chiplab.units import format_bytes
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.transformer import TransformerConfig

# Tensor parallelism stays inside one 8-chip server / scale-up group unless the user asks for more.
DEFAULT_TENSOR = 8
# Serving: grow tensor parallelism up to this many chips per replica before giving up.
MAX_SERVING_TENSOR = 64


def _powers_of_two(limit: int) -> list[int]:
    return [2**i for i in range(limit.bit_length()) if 2**i <= limit]


def _valid_tensor(config: TransformerConfig, tensor: int) -> bool:
    try:
        Parallelism(tensor=tensor).check(config)
    except ChiplabInputError:
        return False
    return True


Estimate = TypeVar("Estimate", TrainingEstimate, ServingEstimate)


def _first_fit(candidates: list[int], estimate: Callable[[int], Estimate], capacity_bytes: float,
               flag: str) -> Estimate:
    """The estimate of the first candidate whose footprint fits, else raise with the smallest footprint seen."""
    smallest: tuple[int, Estimate] | None = None
    why_not_larger = ""
    for candidate in candidates:
        try:
            est = estimate(candidate)
        except ChiplabInputError as exc:
            if smallest is None:
                raise
            why_not_larger = f" ({flag} {candidate} is not possible: {exc})"
            break
        if est.memory.total_bytes <= capacity_bytes:
            return est
        if smallest is None or est.memory.total_bytes < smallest[1].memory.total_bytes:
            smallest = (candidate, est)
    candidate, est = cast(tuple[int, Estimate], smallest)  # the first candidate either fits, raises or is kept
    raise ChiplabInputError(
        f"does not fit: each chip needs at least {format_bytes(est.memory.total_bytes)} (with {flag} "
        f"{candidate}) but has {format_bytes(capacity_bytes)}{why_not_larger}")


def _capacity_bytes(chip: Chip) -> float:
    # typed as a number only: a chip without a published capacity behaves as before this annotation
    return cast(float, chip.hbm.capacity_bytes)


def fit_training(config: TransformerConfig, chip: Chip, *, tensor: int | None, pipeline: int | None, data: int,
                 zero_stage: int, global_batch: int, seq_len: int, recompute: str) -> TrainingEstimate:
    """Train ``config`` on ``chip`` with the user's split, filling an unset tensor (8, or the largest valid power of
    two below) and an unset pipeline degree (the smallest power of two that fits)."""
    if tensor is None:
        tensor = next(t for t in reversed(_powers_of_two(DEFAULT_TENSOR)) if _valid_tensor(config, t))

    def estimate(p: int) -> TrainingEstimate:
        parallelism = Parallelism(tensor=tensor, pipeline=p, data=data, zero_stage=zero_stage)
        return estimate_training(config, chip, parallelism=parallelism, global_batch=global_batch, seq_len=seq_len,
                                 recompute=recompute, check_memory=pipeline is not None)

    if pipeline is not None:
        return estimate(pipeline)
    try:
        return _first_fit(_powers_of_two(config.num_layers), estimate, _capacity_bytes(chip), "--pp")
    except ChiplabInputError as exc:
        if "does not fit" not in str(exc):  # an invalid split (say --tp 3) has its own advice; don't add memory's
            raise
        raise ChiplabInputError(f"{exc}; set --zero 3, a larger --tp, or a smaller --batch or --seq") from None


def fit_serving(config: TransformerConfig, chip: Chip, *, tensor: int | None, batch: int, prompt_len: int,
                output_len: int, kv_sharding: str = "replicate") -> ServingEstimate:
    """Serve ``config`` on ``chip`` with the user's tensor parallelism, or the smallest power of two that fits."""

    def estimate(t: int) -> ServingEstimate:
        return estimate_serving(config, chip, batch=batch, prompt_len=prompt_len, output_len=output_len,
                                tensor_parallel=t, check_memory=tensor is not None, kv_sharding=kv_sharding)

    if tensor is not None:
        return estimate(tensor)
    candidates = [t for t in _powers_of_two(MAX_SERVING_TENSOR) if _valid_tensor(config, t)]
    try:
        return _first_fit(candidates, estimate, _capacity_bytes(chip), "--tp")
    except ChiplabInputError as exc:
        if "does not fit" not in str(exc):  # a format the chip lacks (--dtype int8 on Trainium2) has its own advice
            raise
        raise ChiplabInputError(f"{exc}; lower --batch, --prompt or --output") from None


def fit_serving_at_speed(config: TransformerConfig, chip: Chip, *, tensor: int | None, tokens_per_s_per_request: float,
                         prompt_len: int, output_len: int, kv_sharding: str = "replicate") -> SpeedTargetResult:
    """The largest batch meeting a per-request speed (:func:`chiplab.perf.serve_at_speed`) with the user's tensor
    parallelism, or the smallest power of two at which one exists."""
    if tensor is not None:
        return serve_at_speed(config, chip, tokens_per_s_per_request=tokens_per_s_per_request, prompt_len=prompt_len,
                              output_len=output_len, tensor_parallel=tensor, kv_sharding=kv_sharding)
    reason, tried = "", 1
    for tried in (t for t in _powers_of_two(MAX_SERVING_TENSOR) if _valid_tensor(config, t)):
        try:
            return serve_at_speed(config, chip, tokens_per_s_per_request=tokens_per_s_per_request,
                                  prompt_len=prompt_len, output_len=output_len, tensor_parallel=tried,
                                  kv_sharding=kv_sharding)
        except ChiplabInputError as exc:  # nothing fits, or no batch is fast enough: try more chips per replica
            reason = str(exc).split("; ")[0]
    raise ChiplabInputError(f"{reason} (every --tp up to {tried} was tried); lower --tokens-per-s-per-request, "
                            "--prompt or --output")
