"""The cost explorer's answer in words (HTML): speeds, run costs, who is cheaper per token, break-even prices and
owning next to renting. Every number comes from the scenario result; this module only words and formats it."""

from __future__ import annotations

import html

from chiplab.cost.scenarios import OwnOrRent, ScenarioResult
from chiplab.hardware.catalog import load_chip
from chiplab.units import format_ratio_range, format_usd, format_usd_estimate, format_usd_range


def scenario_summary(result: ScenarioResult, owning: OwnOrRent | None, owner_problem: str) -> str:
    """The explorer's answer as HTML lines: each chip's speed and run cost, the verdict, owning B beside renting it
    (or why owning is not available), and the scenario's caveats."""
    name_a, name_b = (html.escape(load_chip(c).display_name) for c in (result.a.chip_id, result.b.chip_id))
    lines = [f"<b>{html.escape(result.scenario.workload.label)}</b>"]
    for name, cost in ((name_a, result.a), (name_b, result.b)):
        mfu = cost.throughput.mfu_fraction
        speed_range = cost.throughput.tokens_per_s_per_chip_range
        lines.append(f"{name}: <b>{cost.tokens_per_s_per_chip:,.0f}</b> tokens/s per chip"
                     + ("" if speed_range is None else f" (true {speed_range[0]:,.0f}–{speed_range[1]:,.0f} if "
                        "the model errs as on published runs)")
                     + ("" if mfu is None else f" (MFU {mfu:.0%})")
                     + f", bottleneck {cost.throughput.bottleneck} · {html.escape(cost.side.price_label)}"
                     + f" · the run: <b>{format_usd_estimate(cost.run.cost_usd)}</b>, "
                     + f"{cost.wall_time_days:,.2g} days on {cost.run.num_chips:,} chips")
    lines.append(_verdict(result, name_a, name_b))
    if owning is not None:
        lines.append(f"Owning {name_b}: {format_usd_estimate(owning.owner_usd_per_useful_chip_hour)} per "
                     f"useful chip-hour against {format_usd(owning.cloud_usd_per_useful_chip_hour)} rented; "
                     "owning wins above "
                     f"{owning.break_even_owner_utilization_fraction:.0%} utilisation")
    else:
        lines.append(f"Owning {name_b}: not available ({html.escape(owner_problem)})")
    if result.caveats:
        lines.append("<small>Caveats: " + html.escape("; ".join(result.caveats)) + "</small>")
    return "<br>".join(lines)


def _verdict(result: ScenarioResult, name_a: str, name_b: str) -> str:
    """Who is cheaper per token, and A's break-even prices: ranges over both error bands where both exist, else
    the central value (two significant figures: the model is not good to the cent)."""
    ratio_range = result.price_performance_ratio_range
    # the break-even range at 0 % (as cheap) and at 30 / 40 / 50 % better; None where a band is missing
    evens = [result.break_even_range_usd_per_chip_hour_a(x) for x in (0.0, 0.3, 0.4, 0.5)]
    verdict = "better" if result.price_performance_ratio >= 1 else "worse"
    ranged = [even for even in evens if even is not None]
    if ratio_range is None or len(ranged) < len(evens):
        return (f"{name_a} gives <b>{result.price_performance_ratio:.2g}×</b> the tokens per dollar of {name_b} "
                f"({verdict}; no error band: an efficiency was set by hand); it is at least as cheap per token "
                f"below <b>{format_usd_estimate(result.break_even_usd_per_chip_hour_a())}</b> per chip-hour, and "
                "30% / 40% / 50% better below " + " / ".join(
                    format_usd_estimate(result.break_even_usd_per_chip_hour_a(x)) for x in (0.3, 0.4, 0.5)))
    flips = ratio_range[0] < 1 < ratio_range[1]
    return (f"{name_a} gives <b>{result.price_performance_ratio:.2g}×</b> the tokens per dollar of {name_b} "
            f"({verdict}; <b>{format_ratio_range(*ratio_range)}</b> over the model's error bands"
            + (", so the winner is not settled" if flips else "") + "); it is at least as cheap per token below "
            f"<b>{format_usd_range(*ranged[0])}</b> per chip-hour (central "
            f"{format_usd_estimate(result.break_even_usd_per_chip_hour_a())}), and 30% / 40% / 50% better below "
            + " / ".join(format_usd_range(*even) for even in ranged[1:]))
