"""What the cost explorer offers: its token counts, each chip's price choices (sourced offers, a what-if price,
owning), and the check that refuses anything else by name."""

from __future__ import annotations

from chiplab.cost.scenarios import WORKLOADS, price_label, price_options, scenario_chips
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip

WHAT_IF = "what-if"  # the price dropdowns' value for "a price you type" (not a sourced offer)
# Tokens to train or serve, as (label, tokens). 6.3T is AFM-server's core pre-training (Apple, arXiv:2407.21075).
TOKEN_CHOICES = [("1B", 1e9), ("10B", 1e10), ("100B", 1e11), ("1T", 1e12), ("6.3T (AFM core pre-training)", 6.3e12),
                 ("10T", 1e13)]


def price_choices(chip_id: str, allow_own: bool = False) -> list[tuple[str, object]]:
    """Dropdown options: each sourced offer (by index), then the what-if price (and owning, for chip B)."""
    choices: list[tuple[str, object]] = [(price_label(p), i) for i, p in enumerate(price_options(chip_id))]
    choices.append(("what-if price (type it below; not a sourced price)", WHAT_IF))
    if allow_own:
        choices.append(("own it: the owner's TCO from the sliders below", "own"))
    return choices


def check_choices(chip_a: str, chip_b: str, workload: str, num_tokens: float) -> list[str]:
    """The explorer offers fixed choices: refuse anything else by name. Returns the chips it offers."""
    chips = scenario_chips()
    for name, chip in (("chip_a", chip_a), ("chip_b", chip_b)):
        if load_chip(chip).id not in chips:
            raise ChiplabInputError(f"{name} must be one of {', '.join(chips)}; got {chip!r}")
    if workload not in WORKLOADS:
        raise ChiplabInputError(f"workload must be one of {', '.join(WORKLOADS)}; got {workload!r}")
    if num_tokens not in [value for _, value in TOKEN_CHOICES]:
        raise ChiplabInputError(f"num_tokens must be one of {', '.join(f'{v:g}' for _, v in TOKEN_CHOICES)}; "
                                f"got {num_tokens!r}")
    return chips
