"""``chiplab train``, ``chiplab serve`` and ``chiplab validate``: compare chips on a model, with costs."""

from __future__ import annotations

import argparse
import warnings

from chiplab.cli._common import Progress, print_table
from chiplab.cost import price_for, serving_cost, training_run_cost
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf import estimate_serving, estimate_training
from chiplab.perf.validation import validate_training
from chiplab.workloads.footprint import RECOMPUTE_MODES, Parallelism
from chiplab.workloads.presets import list_models, load_model

SECONDS_PER_DAY = 86400


def _price(chip_id: str, kind: str, notes: list[str]):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return price_for(chip_id, kind)
    except ChiplabInputError as exc:
        notes.append(str(exc).split(". To explore")[0])
        return None


def _chips(text: str) -> list[str]:
    return [load_chip(name.strip()).id for name in text.split(",") if name.strip()]


def _compare(label: str, chip_ids: list[str], row_for) -> tuple[list[list], list[str]]:
    """Run ``row_for(chip_id, notes)`` for each chip; a chip that cannot run says why instead of aborting."""
    rows, notes = [], []
    progress = Progress(len(chip_ids), label)
    for i, chip_id in enumerate(chip_ids):
        progress.step(i, chip_id)
        try:
            rows.append(row_for(chip_id, notes))
        except ChiplabInputError as exc:
            notes.append(f"{chip_id}: {exc}")
    progress.finish()
    return rows, notes


def _cmd_train(args: argparse.Namespace) -> None:
    model = load_model(args.model)
    parallelism = Parallelism(tensor=args.tp, pipeline=args.pp, data=args.dp, zero_stage=args.zero)

    def row(chip_id: str, notes: list[str]) -> list:
        est = estimate_training(model, load_chip(chip_id), parallelism=parallelism, global_batch=args.batch,
                                seq_len=args.seq, recompute=args.recompute)
        days = args.tokens / est.tokens_per_s / SECONDS_PER_DAY
        price = _price(chip_id, args.price_kind, notes)
        cost = None if price is None else training_run_cost(
            num_chips=est.num_chips, price=price, num_tokens=args.tokens,
            tokens_per_s_per_chip=est.tokens_per_s / est.num_chips)
        return [chip_id, est.num_chips, est.time_s, est.mfu_fraction, est.tokens_per_s, days,
                None if price is None else price.usd_per_chip_hour, None if cost is None else cost.cost_usd,
                None if cost is None else cost.usd_per_million_tokens]

    rows, notes = _compare("train", _chips(args.chips), row)
    print_table(["chip", "chips", "step s", "MFU", "tokens/s", "days", "$/chip-h", "run $", "$/M tokens"],
                rows, args.json)
    _notes(notes, args.json)


def _cmd_serve(args: argparse.Namespace) -> None:
    model = load_model(args.model)

    def row(chip_id: str, notes: list[str]) -> list:
        est = estimate_serving(model, load_chip(chip_id), batch=args.batch, prompt_len=args.prompt,
                               output_len=args.output, tensor_parallel=args.tp)
        price = _price(chip_id, args.price_kind, notes)
        cost = None if price is None else serving_cost(tokens_per_s_per_chip=est.output_tokens_per_s_per_chip,
                                                       price=price, utilization_fraction=args.utilization)
        return [chip_id, args.tp, est.prefill_s, est.decode_step_s * 1e3, est.output_tokens_per_s_per_chip,
                None if price is None else price.usd_per_chip_hour,
                None if cost is None else cost.usd_per_million_tokens]

    rows, notes = _compare("serve", _chips(args.chips), row)
    print_table(["chip", "TP", "prefill s", "ms/token", "tokens/s/chip", "$/chip-h", "$/M output tokens"],
                rows, args.json)
    _notes(notes, args.json)


def _cmd_validate(args: argparse.Namespace) -> None:
    rows = [[c.label, c.published_mfu_fraction, c.chiplab_mfu_fraction, c.error_fraction, c.source]
            for c in validate_training().cases]
    print_table(["run", "published MFU", "chiplab MFU", "error", "source"], rows, args.json)


def _notes(notes: list[str], as_json: bool) -> None:
    if notes and not as_json:
        print("\nnotes:")
        for note in notes:
            print(f"  - {note}")


def add_commands(sub) -> None:
    models = f"a model preset ({', '.join(list_models())}) or an alias"
    train = sub.add_parser("train", help="compare chips on one training step and a whole run (time, MFU, cost)")
    train.add_argument("model", help=models)
    train.add_argument("--chips", default="trainium2,h100_sxm,tpu_v5p", help="comma-separated chip ids or aliases")
    train.add_argument("--tp", type=int, default=8, help="tensor parallelism (default 8)")
    train.add_argument("--pp", type=int, default=1, help="pipeline parallelism (default 1)")
    train.add_argument("--dp", type=int, default=16, help="data parallelism (default 16)")
    train.add_argument("--zero", type=int, default=1, choices=[0, 1, 2, 3], help="ZeRO stage (default 1)")
    train.add_argument("--batch", type=int, default=512, help="global batch in sequences (default 512)")
    train.add_argument("--seq", type=int, default=4096, help="sequence length (default 4096)")
    train.add_argument("--recompute", default="full", choices=RECOMPUTE_MODES, help="default: full")
    train.add_argument("--tokens", type=float, default=1e12, help="tokens in the whole run (default 1e12)")
    train.add_argument("--price-kind", default="on-demand", help="which price to use (default on-demand)")
    train.add_argument("--json", action="store_true", help="print JSON instead of a table")
    train.set_defaults(func=_cmd_train)

    serve = sub.add_parser("serve", help="compare chips on serving a model (latency, tokens/s, $ per M tokens)")
    serve.add_argument("model", help=models)
    serve.add_argument("--chips", default="trainium2,h100_sxm,tpu_v5e", help="comma-separated chip ids or aliases")
    serve.add_argument("--tp", type=int, default=1, help="tensor parallelism (default 1)")
    serve.add_argument("--batch", type=int, default=32, help="sequences served together (default 32)")
    serve.add_argument("--prompt", type=int, default=2048, help="prompt tokens (default 2048)")
    serve.add_argument("--output", type=int, default=512, help="generated tokens (default 512)")
    serve.add_argument("--utilization", type=float, default=1.0, help="share of paid hours serving (default 1)")
    serve.add_argument("--price-kind", default="on-demand", help="which price to use (default on-demand)")
    serve.add_argument("--json", action="store_true", help="print JSON instead of a table")
    serve.set_defaults(func=_cmd_serve)

    validate = sub.add_parser("validate", help="chiplab vs published training runs (MFU), with sources")
    validate.add_argument("--json", action="store_true", help="print JSON instead of a table")
    validate.set_defaults(func=_cmd_validate)
