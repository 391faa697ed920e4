"""``chiplab train`` and ``chiplab serve``: compare chips on a model, with costs (validate: cli/validate.py)."""

from __future__ import annotations

import argparse
import dataclasses
import warnings

from chiplab.cli._common import Progress, Ranged, positive_number, print_comparison, share, whole_number
from chiplab.errors import ChiplabInputError
from chiplab.units import SECONDS_PER_DAY
from chiplab.workloads.footprint import KV_SHARDINGS
from chiplab.workloads.gemm import DTYPE_BITS, DTYPE_BYTES
from chiplab.workloads.recompute import RECOMPUTE_MODES

DEFAULT_SEQ_LEN = 4096
DEFAULT_PROMPT_LEN = 2048
DEFAULT_SERVING_BATCH = 32


# The performance and cost models (and numpy) are imported inside the commands, so that ``--help`` starts in
# milliseconds (benchmarks/bench_startup.py, tests/cli/test_startup.py).


def _price(chip_id: str, kind: str, notes: list[str]):
    from chiplab.cost import price_for

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return price_for(chip_id, kind)
    except ChiplabInputError as exc:
        notes.append(str(exc).split(". To explore")[0])
        return None


def _chips(text: str) -> list[str]:
    from chiplab.hardware import load_chip

    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ChiplabInputError(f"--chips must name at least one chip (comma-separated ids or aliases); got {text!r}")
    return list(dict.fromkeys(load_chip(name).id for name in names))


def _compare(label: str, chip_ids: list[str], row_for, notes: list[str]) -> tuple[list[list], list[str]]:
    """Run ``row_for(chip_id, notes)`` for each chip; a chip that cannot run says why instead of aborting."""
    rows = []
    progress = Progress(len(chip_ids), label)
    for i, chip_id in enumerate(chip_ids):
        progress.step(i, chip_id)
        try:
            rows.append(row_for(chip_id, notes))
        except ChiplabInputError as exc:
            notes.append(f"{chip_id}: {exc}")
    progress.finish()
    return rows, notes


def _within_context(value: int | None, default: int, room: int, flag: str, notes: list[str]) -> int:
    """An unset length defaults to ``default``, shortened to the model's context window (``room`` tokens)."""
    if value is not None:
        return value
    if default > room >= 1:
        notes.append(f"{flag} {room} (the default {default} does not fit the model's context window)")
        return room
    return default


def _cmd_train(args: argparse.Namespace) -> int:
    from chiplab.cli._fit import fit_training
    from chiplab.cost import training_run_cost
    from chiplab.hardware import load_chip
    from chiplab.workloads import load_model

    model = load_model(args.model)
    setup_notes: list[str] = []
    args.seq = _within_context(args.seq, DEFAULT_SEQ_LEN, model.max_seq_len, "--seq", setup_notes)

    def row(chip_id: str, notes: list[str]) -> list:
        est = fit_training(model, load_chip(chip_id), tensor=args.tp, pipeline=args.pp, data=args.dp,
                           zero_stage=args.zero, global_batch=args.batch, seq_len=args.seq, recompute=args.recompute)
        split = est.parallelism
        if split.pipeline > 1 and args.pp is None:
            notes.append(f"{chip_id}: chose tensor {split.tensor} x pipeline {split.pipeline} x data {split.data} "
                         "so that the model fits (set --tp/--pp to choose)")
        days = args.tokens / est.tokens_per_s / SECONDS_PER_DAY
        price = _price(chip_id, args.price_kind, notes)
        cost = None if price is None else training_run_cost(
            num_chips=est.num_chips, price=price, num_tokens=args.tokens,
            tokens_per_s_per_chip=est.tokens_per_s / est.num_chips)
        times = est.time_s_range  # run time, run cost and cost per token all scale with the step time

        def by_time(value: float | None) -> Ranged | None:
            return None if value is None else Ranged.scaled(value, times, est.time_s)

        return [chip_id, est.num_chips, f"{split.tensor}x{split.pipeline}x{split.data}", by_time(est.time_s),
                Ranged.scaled(est.mfu_fraction, est.mfu_fraction_range, est.mfu_fraction),
                Ranged.scaled(est.tokens_per_s, est.tokens_per_s_range, est.tokens_per_s), by_time(days),
                None if price is None else price.usd_per_chip_hour, by_time(None if cost is None else cost.cost_usd),
                by_time(None if cost is None else cost.usd_per_million_tokens)]

    rows, notes = _compare("train", _chips(args.chips), row, setup_notes)
    return print_comparison(["chip", "chips", "TPxPPxDP", "step s", "MFU", "tokens/s", "days", "$/chip-h", "run $",
                             "$/M tokens"], rows, notes, args.json)


def _with_precision(model, dtype: str | None, weight_dtype: str | None):
    """The model with its arithmetic (--dtype) and stored-weight (--weight-dtype) formats as asked."""
    try:
        return dataclasses.replace(model, dtype=dtype or model.dtype,
                                   weight_dtype=weight_dtype if weight_dtype is not None else model.weight_dtype)
    except ChiplabInputError as exc:
        raise ChiplabInputError(f"--dtype {dtype or model.dtype} with --weight-dtype {weight_dtype}: {exc}") from None


def _cmd_serve(args: argparse.Namespace) -> int:
    from chiplab.cli._fit import fit_serving, fit_serving_at_speed
    from chiplab.cost import serving_cost
    from chiplab.hardware import load_chip
    from chiplab.workloads import load_model

    model = _with_precision(load_model(args.model), args.dtype, args.weight_dtype)
    at_speed = args.tokens_per_s_per_request is not None
    if at_speed and args.batch is not None:
        raise ChiplabInputError("give --batch or --tokens-per-s-per-request, not both: with a speed target the batch "
                                "is the largest that meets it")
    setup_notes: list[str] = []
    args.prompt = _within_context(args.prompt, DEFAULT_PROMPT_LEN, model.max_seq_len - args.output, "--prompt",
                                  setup_notes)

    def row(chip_id: str, notes: list[str]) -> list:
        chip = load_chip(chip_id)
        if at_speed:
            target = fit_serving_at_speed(model, chip, tensor=args.tp,
                                          tokens_per_s_per_request=args.tokens_per_s_per_request,
                                          prompt_len=args.prompt, output_len=args.output, kv_sharding=args.kv_sharding)
            est = target.estimate
            notes.append(f"{chip_id}: batch {target.batch} is the largest that meets "
                         f"{args.tokens_per_s_per_request:g} tokens/s per request (limited by {target.limited_by})")
        else:
            est = fit_serving(model, chip, tensor=args.tp, batch=args.batch or DEFAULT_SERVING_BATCH,
                              prompt_len=args.prompt, output_len=args.output, kv_sharding=args.kv_sharding)
        if args.tp is None and est.tensor_parallel > 1:
            notes.append(f"{chip_id}: chose tensor parallelism {est.tensor_parallel} so that the model fits "
                         "(set --tp to choose)")
        price = _price(chip_id, args.price_kind, notes)
        cost = None if price is None else serving_cost(tokens_per_s_per_chip=est.output_tokens_per_s_per_chip,
                                                       price=price, utilization_fraction=args.utilization)
        times = est.time_s_range  # every time and cost scales with the batch's time over the error band

        def by_time(value: float | None) -> Ranged | None:
            return None if value is None else Ranged.scaled(value, times, est.time_s)

        return [chip_id, est.tensor_parallel, est.batch, by_time(est.prefill_s), by_time(est.decode_step_s * 1e3),
                Ranged.scaled(est.output_tokens_per_s_per_chip, est.output_tokens_per_s_per_chip_range,
                              est.output_tokens_per_s_per_chip),
                None if price is None else price.usd_per_chip_hour,
                by_time(None if cost is None else cost.usd_per_million_tokens)]

    rows, notes = _compare("serve", _chips(args.chips), row, setup_notes)
    return print_comparison(["chip", "TP", "batch", "prefill s", "ms/token", "tokens/s/chip", "$/chip-h",
                             "$/M output tokens"], rows, notes, args.json)


def add_commands(sub) -> None:
    # Listing the presets would parse every model file on each --help; an unknown name lists them instead.
    models = "a model preset or an alias, e.g. llama3-70b (an unknown name lists every preset)"
    train = sub.add_parser("train", help="compare chips on one training step and a whole run (time, MFU, cost)")
    train.add_argument("model", help=models)
    train.add_argument("--chips", default="trainium2,h100_sxm,tpu_v5p", help="comma-separated chip ids or aliases")
    train.add_argument("--tp", type=whole_number, help="tensor parallelism (default 8, or the largest valid below)")
    train.add_argument("--pp", type=whole_number,
                       help="pipeline parallelism (default: the smallest power of two that fits each chip)")
    train.add_argument("--dp", type=whole_number, default=16, help="data parallelism (default 16)")
    train.add_argument("--zero", type=int, default=1, choices=[0, 1, 2, 3], help="ZeRO stage (default 1)")
    train.add_argument("--batch", type=whole_number, default=512, help="global batch in sequences (default 512)")
    train.add_argument("--seq", type=whole_number,
                       help=f"sequence length (default {DEFAULT_SEQ_LEN}, or the model's context window if shorter)")
    train.add_argument("--recompute", default="full", choices=RECOMPUTE_MODES, help="default: full")
    train.add_argument("--tokens", type=positive_number, default=1e12, help="tokens in the whole run (default 1e12)")
    train.add_argument("--price-kind", default="on-demand", help="which price to use (default on-demand)")
    train.add_argument("--json", action="store_true", help="print JSON instead of a table")
    train.set_defaults(func=_cmd_train)

    serve = sub.add_parser("serve", help="compare chips on serving a model (latency, tokens/s, $ per M tokens)")
    serve.add_argument("model", help=models)
    serve.add_argument("--chips", default="trainium2,h100_sxm,tpu_v5e", help="comma-separated chip ids or aliases")
    serve.add_argument("--tp", type=whole_number,
                       help="tensor parallelism (default: the smallest power of two that fits each chip)")
    serve.add_argument("--batch", type=whole_number,
                       help=f"sequences served together (default {DEFAULT_SERVING_BATCH}; not with a speed target)")
    serve.add_argument("--tokens-per-s-per-request", type=positive_number, metavar="X",
                       help="serve at a speed target: the largest batch whose decode still gives every request X "
                            "output tokens/s and fits in memory (instead of --batch)")
    serve.add_argument("--prompt", type=whole_number,
                       help=f"prompt tokens (default {DEFAULT_PROMPT_LEN}, or what the context window leaves)")
    serve.add_argument("--output", type=whole_number, default=512, help="generated tokens (default 512)")
    serve.add_argument("--kv-sharding", default="replicate", choices=KV_SHARDINGS,
                       help="KV cache over tensor-parallel ranks beyond the KV heads: replicate it (default) or split "
                            "its positions (sequence)")
    serve.add_argument("--dtype", choices=list(DTYPE_BYTES),
                       help="arithmetic (activation) format of the matmuls (default: the model's, bf16)")
    serve.add_argument("--weight-dtype", choices=list(DTYPE_BITS),
                       help="weights stored narrower than the arithmetic, e.g. int8, fp8 or int4 with bf16 math "
                            "(default: as the arithmetic)")
    serve.add_argument("--utilization", type=share, default=1.0, help="share of paid hours serving (default 1)")
    serve.add_argument("--price-kind", default="on-demand", help="which price to use (default on-demand)")
    serve.add_argument("--json", action="store_true", help="print JSON instead of a table")
    serve.set_defaults(func=_cmd_serve)
